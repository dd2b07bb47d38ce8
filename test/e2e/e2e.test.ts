import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBusyboxBase, requirePodman } from '../integration/base-images';
import { ensureDebianBase } from '../integration/debian-base';
import { ensureLibvirtd, stopLibvirtd } from '../integration/libvirtd';
import { CodeServer, SHOTS, packageRunner, packageVsix } from './harness';
import type { E2eDocState } from '../vscode/runner/runner';
import { defineTestDomain, removeTestDomain } from '../vscode/libvirt-fixture';
import { makeWorkspace } from './workspace';

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
  // Suggestions open only on Ctrl+Space: a quick suggestion racing the explicit one once let Enter
  // insert a newline instead of the snippet.
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'bootcLab.lint.debounceMs': 50,
  'bootcLab.build.isolation': ISOLATION,
  'bootcLab.vm.memoryMb': 1024,
};

/** This code-server's QEMU (its serial socket lies in the code-server's TMPDIR): others may boot VMs meanwhile. */
const qemuRunning = (cs: CodeServer): string =>
  spawnSync('pgrep', ['-fa', `qemu-system-x86_64 .*${cs.tmp}/`], { encoding: 'utf8' }).stdout.trim();

/** `E2E_REPEAT=N` runs every scenario N times in a row, each repetition in a fresh code-server. */
const REPEAT = Math.max(1, Number(process.env.E2E_REPEAT ?? '1') || 1);
const times: { rep: number; scenario: string; ms: number; ok: boolean }[] = [];

/** What the runner extension mirrors from the extension host for one workspace file. */
function docState(file: string, rel: string): E2eDocState | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, E2eDocState>)[rel];
  } catch {
    return undefined;
  }
}

function report(): void {
  if (times.length === 0) return;
  const scenarios = [...new Set(times.map((t) => t.scenario))];
  const lines = [`e2e wall time per scenario (s), ${REPEAT} repetition(s):`];
  for (const sc of scenarios) {
    const mine = times.filter((t) => t.scenario === sc);
    const cells = mine.map((t) => `${(t.ms / 1000).toFixed(1)}${t.ok ? '' : ' FAIL'}`);
    lines.push(`  ${sc}: ${cells.join(' | ')}  (passed ${mine.filter((t) => t.ok).length}/${mine.length})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(SHOTS, 'times.json'), JSON.stringify(times, null, 2));
}

let vsix: string;
let runnerDir: string;
let runnerVsix: string;
let libvirtd: number[] = [];

describe('VS Code end to end (code-server + Chromium)', { timeout: REPEAT * 3_600_000 }, () => {
  before(() => {
    requirePodman();
    ensureBusyboxBase();
    ensureDebianBase();
    // The extension-host suite lists and deletes a libvirt domain through the VMs view.
    libvirtd = ensureLibvirtd();
    fs.rmSync(SHOTS, { recursive: true, force: true });
    vsix = packageVsix();
    runnerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-runner-'));
    runnerVsix = packageRunner(runnerDir);
  });

  after(() => {
    report();
    stopLibvirtd(libvirtd);
    if (runnerDir) fs.rmSync(runnerDir, { recursive: true, force: true });
  });

  for (let rep = 1; rep <= REPEAT; rep++) describe(`repetition ${rep}/${REPEAT}`, { timeout: 3_600_000 }, () => scenarios(rep));
});

/** One repetition: a fresh workspace and code-server, every scenario in order. */
function scenarios(rep: number): void {
  let ws: string;
  let cs: CodeServer;
  const state = path.join(os.tmpdir(), `bootc-lab-e2e-state-${process.pid}-${rep}.json`);
  const scenario = (name: string, fn: () => Promise<void>): void => {
    it(name, async () => {
      const t = Date.now();
      let ok = false;
      try {
        await fn();
        ok = true;
      } finally {
        times.push({ rep, scenario: name.split(' ')[0] ?? name, ms: Date.now() - t, ok });
      }
    });
  };

  before(async () => {
    const t = Date.now();
    ws = makeWorkspace();
    cs = new CodeServer(ws, { ...baseSettings, 'security.workspace.trust.enabled': false }, { BOOTC_LAB_E2E_STATE: state });
    if (REPEAT > 1) cs.shotPrefix = `r${rep}-`;
    const out = cs.installVsix(vsix);
    assert.match(out, /bootc-lab/);
    cs.installVsix(runnerVsix);
    await cs.start();
    times.push({ rep, scenario: 'start', ms: Date.now() - t, ok: true });
  });

  after(async () => {
    await cs?.stop();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(state, { force: true });
  });

  scenario('1. shows bootc findings in Problems and a lightbulb quick fix removes one', async () => {
    await cs.open('bad/Containerfile');
    const text = await cs.problems('problems list the bootc findings', {
      has: ['package-manager-leftovers', 'systemctl-runtime', 'ignored-instruction'],
    });
    assert.match(text, /package-manager-leftovers/);
    await cs.shot('1-problems');
    // Cursor onto the dnf word of line 2, then the lightbulb menu (Ctrl+.).
    const p = cs.page;
    await p.click('.monaco-editor .view-lines');
    await cs.gotoLine(2, 5);
    await cs.openQuickFix();
    const item = p.locator('.action-widget .monaco-list-row[aria-label="Clean up after dnf in this RUN"]').first();
    await cs.waitLocator('quick fix offered', item, 20_000);
    await cs.shot('1-lightbulb');
    await cs.runAction('Clean up after dnf in this RUN');
    const after = await cs.problems('problems without the fixed finding', {
      has: ['systemctl-runtime'],
      lacks: ['package-manager-leftovers'],
    });
    assert.ok(!after.includes('package-manager-leftovers'));
    await cs.waitText('fix in the editor', '.monaco-editor .view-lines', { has: ['dnf clean all'] });
    await cs.shot('1-fixed');
    await cs.revertAndCloseAll();
  });

  scenario('2. the Debian bootc snippet lints clean', async () => {
    await cs.open('snippet/Containerfile');
    await cs.page.keyboard.type('bootc-debian', { delay: 20 });
    await cs.page.keyboard.press('Control+Space');
    await cs.acceptSuggestion('bootc-debian');
    await cs.waitText('snippet inserted', '.monaco-editor .view-lines', { has: ['LABEL containers.bootc=1'] });
    // Leave the snippet's first placeholder (its choice list is open).
    await cs.page.keyboard.press('Escape');
    // What the editor shows must be the server's answer for this very text: wait for that publication.
    const doc = await cs.until(
      'diagnostics published for the snippet version',
      () => Promise.resolve(docState(state, 'snippet/Containerfile')),
      (d) => !!d && d.text.includes('LABEL containers.bootc=1') && d.published === d.version,
    );
    assert.deepEqual(doc?.codes, [], 'the snippet has findings');
    const problems = await cs.problems('Problems empty', { has: ['No problems have been detected in the workspace'] });
    await cs.shot('2-snippet-clean');
    assert.match(problems, /No problems have been detected in the workspace/);
    await cs.revertAndCloseAll();
  });

  scenario('3. Build & Boot VM from the palette: progress, console login prompt, status bar, results timeline, stop', async () => {
    await cs.open('vm/Containerfile');
    const p = cs.page;
    await cs.command('bootc: Build & Boot VM');
    await cs.waitLocator(
      'build progress notification',
      p
        .locator('.notification-toast')
        .filter({ hasText: /bootc: (building|linting|booting)/ })
        .first(),
      60_000,
    );
    await cs.shot('3-progress');
    // The console terminal shows the guest's login prompt.
    await cs.waitText('console login prompt', '.terminal-wrapper .xterm-rows, .xterm .xterm-rows', { has: ['login:'] }, 400_000);
    await cs.shot('3-console');
    await cs.waitLocator(
      'status bar VM',
      p
        .locator('.statusbar-item')
        .filter({ hasText: /vm/ })
        .filter({ hasText: /ssh|login|userspace|kernel|initrd|starting/ })
        .first(),
      400_000,
    );
    // Wait until the boot record is in (the "is up" notification), then the results view.
    await cs.waitLocator(
      'VM is up notification',
      p
        .locator('.notification-toast')
        .filter({ hasText: /is up \(SSH on 127\.0\.0\.1:/ })
        .first(),
      400_000,
    );
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
      () => Promise.resolve(qemuRunning(cs)),
      (t) => t === '',
      60_000,
    );
    assert.equal(qemuRunning(cs), '');
    await cs.shot('3-stopped');
  });

  scenario('6. a saved measurement opens as the measurement page: host, charts, comparison with intervals', async () => {
    await cs.open('measure/plain-quick.json');
    await cs.command('bootc: Open Measurement (JSON)');
    const page = await cs.until(
      'measurement page',
      () => cs.frameText('bootc Lab results'),
      (t) => !!t && t.includes('Comparison with the baseline') && t.includes('usr_walk_s'),
      60_000,
    );
    assert.match(page ?? '', /Host:.*TCG/s);
    assert.match(page ?? '', /ssh_s/);
    assert.match(page ?? '', /bootstrap interval, 2000 resamples, seed 12/);
    // docs/screenshots/measure-page.png is a copy of this shot.
    await cs.shot('6-measure-page');
    await cs.command('View: Close All Editors');
  });

  scenario('5. the extension-host suite (also run by @vscode/test-electron) passes inside code-server', async () => {
    const results = path.join(os.tmpdir(), `bootc-lab-suite-${process.pid}.json`);
    fs.rmSync(results, { force: true });
    const suiteWs = makeWorkspace();
    // A bootc Lab libvirt VM that exists before this VS Code starts: the VMs view must find it.
    const domain = `bootc-lab-e2e-${process.pid}-${rep}`;
    const domainDir = defineTestDomain(domain);
    const host = new CodeServer(
      suiteWs,
      { ...baseSettings, 'security.workspace.trust.enabled': false },
      { BOOTC_LAB_SUITE_RESULTS: results, BOOTC_LAB_SUITE_DOMAIN: domain, BOOTC_LAB_SUITE_DOMAIN_DIR: domainDir },
    );
    if (REPEAT > 1) host.shotPrefix = `r${rep}-`;
    try {
      host.installVsix(vsix);
      host.installVsix(runnerVsix);
      await host.start();
      const text = await host.until(
        'suite results',
        () => Promise.resolve(fs.existsSync(results) ? fs.readFileSync(results, 'utf8') : ''),
        (t) => t.length > 0,
        2_700_000,
      );
      const r = JSON.parse(text) as { name: string; ok: boolean; error?: string }[];
      await host.shot('5-suite');
      assert.deepEqual(
        r.map((x) => [x.name, x.ok, x.error ?? '']),
        [
          ['diagnostics and a quick fix', true, ''],
          ['the Debian snippet lints clean', true, ''],
          ['Build & Boot VM, upgrade to an edited build, roll back, stop', true, ''],
          ['libvirt VMs: a VM from an earlier session is listed, and deleted with its files', true, ''],
        ],
      );
    } finally {
      await host.stop();
      removeTestDomain(domain, domainDir);
      for (const p of [results, suiteWs]) fs.rmSync(p, { recursive: true, force: true });
    }
  });

  scenario('4. restricted mode: diagnostics still appear, building is refused with an explanation', async () => {
    const untrusted = new CodeServer(ws, {
      ...baseSettings,
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'always',
    });
    if (REPEAT > 1) untrusted.shotPrefix = `r${rep}-`;
    try {
      untrusted.installVsix(vsix);
      await untrusted.start();
      await untrusted.open('bad/Containerfile');
      await untrusted.problems('problems (restricted)', { has: ['systemctl-runtime'] });
      await untrusted.command('bootc: Build Image');
      const note = untrusted.page.locator('.notification-toast').filter({ hasText: 'untrusted workspace' }).first();
      await untrusted.waitLocator('untrusted-workspace notification', note, 30_000);
      assert.match(await note.innerText(), /does not run podman in an untrusted workspace/);
      await untrusted.shot('4-restricted');
      assert.equal(spawnSync('podman', ['image', 'exists', 'localhost/bad:latest']).status, 1, 'nothing was built');
    } finally {
      await untrusted.stop();
    }
  });
}
