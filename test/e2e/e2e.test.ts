import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBusyboxBase, requirePodman } from '../integration/base-images';
import { ensureDebianBase } from '../integration/debian-base';
import { CodeServer, SHOTS, packageVsix } from './harness';
import { makeWorkspace } from './workspace';
import { ROOT } from './setup';

/**
 * The packaged extension in real VS Code (code-server) driven by headless Chromium. Each scenario
 * asserts what a user sees and saves a screenshot in test-results/e2e/.
 */
const ISOLATION = process.env.BOOTC_LAB_TEST_ISOLATION ?? 'chroot';

const baseSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'terminal.integrated.gpuAcceleration': 'off',
  'editor.quickSuggestionsDelay': 10,
  'bootcLab.lint.debounceMs': 50,
  'bootcLab.build.isolation': ISOLATION,
  'bootcLab.vm.memoryMb': 1024,
};

const qemuRunning = (): string => spawnSync('pgrep', ['-fa', 'qemu-system-x86_64'], { encoding: 'utf8' }).stdout.trim();

describe('VS Code end to end (code-server + Chromium)', { timeout: 1_800_000 }, () => {
  let vsix: string;
  let ws: string;
  let cs: CodeServer;

  before(async () => {
    requirePodman();
    ensureBusyboxBase();
    ensureDebianBase();
    fs.rmSync(SHOTS, { recursive: true, force: true });
    vsix = packageVsix();
    ws = makeWorkspace();
    cs = new CodeServer(ws, { ...baseSettings, 'security.workspace.trust.enabled': false });
    const out = cs.installVsix(vsix);
    assert.match(out, /bootc-lab/);
    await cs.start();
  });

  after(async () => {
    await cs?.stop();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('1. shows bootc findings in Problems and a lightbulb quick fix removes one', async () => {
    await cs.open('bad/Containerfile');
    const text = await cs.until(
      'problems',
      () => cs.problems(),
      (t) => t.includes('package-manager-leftovers') && t.includes('systemctl-runtime') && t.includes('ignored-instruction'),
    );
    assert.match(text, /package-manager-leftovers/);
    await cs.shot('1-problems');
    // Cursor onto the dnf word of line 2, then the lightbulb menu (Ctrl+.).
    const p = cs.page;
    await p.click('.monaco-editor .view-lines');
    await p.keyboard.press('Control+G');
    await p.keyboard.type('2:5');
    await p.keyboard.press('Enter');
    await p.keyboard.press('Control+.');
    const item = p.locator('.action-widget .monaco-list-row[aria-label="Clean up after dnf in this RUN"]').first();
    await item.waitFor({ timeout: 20_000 });
    await cs.shot('1-lightbulb');
    // The menu is keyboard-driven (a pointer block covers it): move the focus to the fix, then Enter.
    for (let i = 0; i < 10 && !/focused/.test((await item.getAttribute('class')) ?? ''); i++) await p.keyboard.press('ArrowDown');
    await p.keyboard.press('Enter');
    const after = await cs.until(
      'fix applied',
      () => cs.problems(),
      (t) => !t.includes('package-manager-leftovers') && t.includes('systemctl-runtime'),
    );
    assert.ok(!after.includes('package-manager-leftovers'));
    const editor = (await p.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' ');
    assert.match(editor.replace(/\s+/g, ' '), /dnf clean all/);
    await cs.shot('1-fixed');
    await cs.command('View: Revert File');
    await cs.command('View: Close All Editors');
  });

  it('2. the Debian bootc snippet lints clean', async () => {
    await cs.open('snippet/Containerfile');
    const p = cs.page;
    await p.click('.monaco-editor .view-lines');
    await p.keyboard.type('bootc-debian', { delay: 20 });
    await p.keyboard.press('Control+Space');
    const suggestion = p.locator('.suggest-widget .monaco-list-row').filter({ hasText: 'bootc-debian' }).first();
    await suggestion.waitFor({ timeout: 20_000 });
    await p.keyboard.press('Enter');
    await p.keyboard.press('Escape');
    // The editor renders spaces as non-breaking spaces.
    await cs.until(
      'snippet inserted',
      async () => (await p.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' '),
      (t) => t.includes('LABEL containers.bootc=1'),
    );
    // Give the server a moment to publish, then the file must have no findings at all.
    await p.waitForTimeout(2000);
    const problems = await cs.problems();
    await cs.shot('2-snippet-clean');
    assert.match(problems, /No problems have been detected in the workspace/, `Problems should be empty for the snippet: ${problems}`);
    await cs.command('View: Revert File');
    await cs.command('View: Close All Editors');
  });

  it('3. Build & Boot VM from the palette: progress, console login prompt, status bar, results timeline, stop', async () => {
    await cs.open('vm/Containerfile');
    const p = cs.page;
    await cs.command('bootc: Build & Boot VM');
    await p
      .locator('.notification-toast')
      .filter({ hasText: /bootc: (building|linting|booting)/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await cs.shot('3-progress');
    // The console terminal shows the guest's login prompt.
    await cs.until(
      'console login prompt',
      async () =>
        (
          await p
            .locator('.terminal-wrapper .xterm-rows, .xterm .xterm-rows')
            .allInnerTexts()
            .catch(() => [])
        ).join('\n'),
      (t) => /login:/.test(t),
      400_000,
    );
    await cs.shot('3-console');
    const status = await cs.until(
      'status bar VM',
      () => p.locator('.statusbar-item').allInnerTexts(),
      (items) => items.some((t) => /bootc-lab-e2e-vm|vm/.test(t) && /ssh|login|userspace|kernel|initrd|starting/.test(t)),
      400_000,
    );
    assert.ok(status.length > 0);
    // Wait until the boot record is in (the "is up" notification), then the results view.
    await p
      .locator('.notification-toast')
      .filter({ hasText: /is up \(SSH on 127\.0\.0\.1:/ })
      .first()
      .waitFor({ timeout: 400_000 });
    await cs.command('bootc: Show Results');
    const results = await cs.until(
      'results timeline',
      () => cs.frameText('bootc Lab results'),
      (t) => !!t && /Boot \(quick/.test(t) && /login/.test(t),
      60_000,
    );
    assert.match(results ?? '', /starting 0\.0 s → kernel/);
    await cs.shot('3-results');
    await cs.command('bootc: Stop VM');
    await cs.until(
      'QEMU gone',
      () => Promise.resolve(qemuRunning()),
      (t) => t === '',
      60_000,
    );
    assert.equal(qemuRunning(), '');
    await cs.shot('3-stopped');
  });

  it('5. the extension-host suite (also run by @vscode/test-electron) passes inside code-server', async () => {
    const results = path.join(os.tmpdir(), `bootc-lab-suite-${process.pid}.json`);
    fs.rmSync(results, { force: true });
    const suiteWs = makeWorkspace();
    const runner = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-runner-'));
    const host = new CodeServer(
      suiteWs,
      { ...baseSettings, 'security.workspace.trust.enabled': false },
      { BOOTC_LAB_SUITE_RESULTS: results },
    );
    try {
      host.installVsix(vsix);
      // code-server only loads extensions it installed itself: pack the runner as a VSIX too.
      fs.copyFileSync(path.join(ROOT, 'test/vscode/runner/package.json'), path.join(runner, 'package.json'));
      fs.writeFileSync(path.join(runner, 'README.md'), 'Runs the bootc Lab extension-host suite.\n');
      fs.writeFileSync(path.join(runner, 'LICENSE'), 'Apache-2.0\n');
      const b = spawnSync(
        path.join(ROOT, 'node_modules/.bin/esbuild'),
        [
          path.join(ROOT, 'test/vscode/runner/runner.ts'),
          '--bundle',
          '--platform=node',
          '--format=cjs',
          '--external:vscode',
          `--outfile=${path.join(runner, 'runner.js')}`,
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.equal(b.status, 0, b.stderr);
      const pack = spawnSync(
        path.join(ROOT, 'node_modules/.bin/vsce'),
        ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', path.join(runner, 'runner.vsix')],
        { cwd: runner, encoding: 'utf8' },
      );
      assert.equal(pack.status, 0, pack.stderr + pack.stdout);
      host.installVsix(path.join(runner, 'runner.vsix'));
      await host.start();
      const text = await host.until(
        'suite results',
        () => Promise.resolve(fs.existsSync(results) ? fs.readFileSync(results, 'utf8') : ''),
        (t) => t.length > 0,
        900_000,
      );
      const r = JSON.parse(text) as { name: string; ok: boolean; error?: string }[];
      await host.shot('5-suite');
      assert.deepEqual(
        r.map((x) => [x.name, x.ok, x.error ?? '']),
        [
          ['diagnostics and a quick fix', true, ''],
          ['the Debian snippet lints clean', true, ''],
          ['Build & Boot VM, then stop', true, ''],
        ],
      );
    } finally {
      await host.stop();
      for (const p of [results, runner, suiteWs]) fs.rmSync(p, { recursive: true, force: true });
    }
  });

  it('4. restricted mode: diagnostics still appear, building is refused with an explanation', async () => {
    const untrusted = new CodeServer(ws, {
      ...baseSettings,
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'always',
    });
    try {
      untrusted.installVsix(vsix);
      await untrusted.start();
      await untrusted.open('bad/Containerfile');
      await untrusted.until(
        'problems (restricted)',
        () => untrusted.problems(),
        (t) => t.includes('systemctl-runtime'),
      );
      await untrusted.command('bootc: Build Image');
      const note = untrusted.page.locator('.notification-toast').filter({ hasText: 'untrusted workspace' }).first();
      await note.waitFor({ timeout: 30_000 });
      assert.match(await note.innerText(), /does not run podman in an untrusted workspace/);
      await untrusted.shot('4-restricted');
      assert.equal(spawnSync('podman', ['image', 'exists', 'localhost/bad:latest']).status, 1, 'nothing was built');
    } finally {
      await untrusted.stop();
    }
  });
});
