import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { CODE_SERVER, ROOT, chromiumPath, ensureCodeServer } from './setup';

/** The few DOM shapes the in-page waits read (the project compiles without the DOM library). */
interface El {
  classList: { contains(c: string): boolean };
  getAttribute(name: string): string | null;
  style: { display: string };
  innerText: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(s: string): El | null;
  querySelectorAll(s: string): Iterable<El>;
  checkVisibility(): boolean;
}
declare const document: {
  title: string;
  activeElement: unknown;
  querySelector(s: string): El | null;
  querySelectorAll(s: string): Iterable<El>;
};

export const SHOTS = path.join(ROOT, 'test-results', 'e2e');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The packaged extension, built once per run: the e2e tests use the real VSIX. */
export function packageVsix(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const vsix = path.join(ROOT, `bootc-lab-${pkg.version}.vsix`);
  const r = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(vsix)) throw new Error(`npm run package failed: ${r.stderr}\n${r.stdout}`);
  return vsix;
}

/**
 * The runner extension as a VSIX (code-server only loads extensions it installed itself): it runs the
 * extension-host suite, or mirrors extension-host state for the browser-driven scenarios.
 */
export function packageRunner(dir: string): string {
  fs.copyFileSync(path.join(ROOT, 'test/vscode/runner/package.json'), path.join(dir, 'package.json'));
  fs.writeFileSync(path.join(dir, 'README.md'), 'Runs the bootc Lab extension-host suite.\n');
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'Apache-2.0\n');
  const b = spawnSync(
    path.join(ROOT, 'node_modules/.bin/esbuild'),
    [
      path.join(ROOT, 'test/vscode/runner/runner.ts'),
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--external:vscode',
      `--outfile=${path.join(dir, 'runner.js')}`,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (b.status !== 0) throw new Error(`bundling the runner failed: ${b.stderr}`);
  const vsix = path.join(dir, 'runner.vsix');
  const pack = spawnSync(
    path.join(ROOT, 'node_modules/.bin/vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix],
    { cwd: dir, encoding: 'utf8' },
  );
  if (pack.status !== 0) throw new Error(`packaging the runner failed: ${pack.stderr}${pack.stdout}`);
  return vsix;
}

/** A real VS Code (code-server) with the VSIX installed, and a headless Chromium driving it. */
export class CodeServer {
  proc?: ChildProcess;
  browser?: Browser;
  page!: Page;
  port = 0;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-e2e-'));
  readonly ext = path.join(this.dir, 'extensions');
  readonly userData = path.join(this.dir, 'user-data');
  /** code-server's TMPDIR: its IPC and git sockets would otherwise be left behind in /tmp. */
  readonly tmp = path.join(this.dir, 'tmp');
  log = '';

  constructor(
    readonly workspace: string,
    private readonly settings: Record<string, unknown>,
    private readonly env: Record<string, string> = {},
  ) {
    fs.mkdirSync(this.tmp);
  }

  installVsix(vsix: string): string {
    ensureCodeServer();
    const r = spawnSync(
      CODE_SERVER,
      ['--extensions-dir', this.ext, '--user-data-dir', this.userData, '--install-extension', vsix, '--force'],
      { encoding: 'utf8', env: { ...process.env, TMPDIR: this.tmp } },
    );
    if (r.status !== 0) throw new Error(`installing the VSIX failed: ${r.stderr}\n${r.stdout}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    fs.mkdirSync(path.join(this.userData, 'User'), { recursive: true });
    // The window title names the active editor by its workspace path: `open()` waits for exactly that.
    const settings = { 'window.title': '${activeEditorMedium}', ...this.settings };
    fs.writeFileSync(path.join(this.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    this.port = await freePort();
    this.proc = spawn(
      CODE_SERVER,
      [
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${this.port}`,
        '--extensions-dir',
        this.ext,
        '--user-data-dir',
        this.userData,
        '--disable-telemetry',
        '--disable-update-check',
        this.workspace,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, TMPDIR: this.tmp, ...this.env },
      },
    );
    this.proc.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    const up = Date.now() + 60_000;
    while ((await get(`http://127.0.0.1:${this.port}/healthz`)) !== 200) {
      if (Date.now() > up) throw new Error(`code-server did not answer /healthz within 60 s:\n${this.log.slice(-2000)}`);
      // Poll interval: nothing announces that the HTTP server listens.
      await new Promise((r) => setTimeout(r, 250));
    }
    this.browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    this.page = await this.browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`);
    await this.waitFor('workbench', () => !!document.querySelector('.monaco-workbench .statusbar'), undefined, 90_000);
    // The explorer listing the workspace means the workbench is restored and the remote file system
    // answers: before that, key chords such as Ctrl+P can be dropped.
    await this.waitFor(
      'explorer lists the workspace',
      () => !!document.querySelector('.explorer-folders-view .monaco-list-row'),
      undefined,
      90_000,
    );
  }

  /**
   * Waits in the page until `fn(arg)` is truthy and returns that value. On timeout, the screenshot
   * and the error are named after the state that was never reached.
   */
  async waitFor<A, R>(state: string, fn: (arg: A) => R, arg: A, timeoutMs = 30_000): Promise<R> {
    try {
      // The function runs in the page; its argument and result cross as JSON.
      const h = await this.page.waitForFunction(fn as (a: unknown) => R, arg as unknown, { timeout: timeoutMs, polling: 100 });
      return await h.jsonValue();
    } catch (e) {
      const shot = await this.shot(`missing-${state}`).catch(() => 'no screenshot');
      throw new Error(
        `state not reached within ${timeoutMs} ms: ${state} (screenshot ${shot})\n${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** The whitespace-normalised text of `selector` once it has every `has` and no `lacks` string. */
  waitText(state: string, selector: string, want: { has?: string[]; lacks?: string[] }, timeoutMs = 60_000): Promise<string> {
    return this.waitFor(
      state,
      ({ selector, has, lacks }) => {
        const t = [...document.querySelectorAll(selector)]
          .map((e) => e.innerText)
          .join('\n')
          .replace(/[\s\u00a0]+/g, ' ');
        return has.every((x) => t.includes(x)) && !lacks.some((x) => t.includes(x)) ? t : '';
      },
      { selector, has: want.has ?? [], lacks: want.lacks ?? [] },
      timeoutMs,
    );
  }

  /** Prefixed to screenshot names, e.g. with the repetition number. */
  shotPrefix = '';

  async shot(name: string): Promise<string> {
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${this.shotPrefix}${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * Opens the quick input with `chord`, types `text`, waits until the row `want` names is the focused
   * one of a settled list (for Quick Open, `want` is the workspace path of the file), then accepts it.
   */
  private async quickInput(chord: string, text: string, want: string, kind: 'file' | 'command'): Promise<void> {
    const p = this.page;
    await p.keyboard.press('Escape');
    await p.keyboard.press(chord);
    await this.waitFor('quick input open', () => document.querySelector('.quick-input-widget input') === document.activeElement, undefined);
    await p.keyboard.type(text, { delay: 10 });
    // Runs in the page, so no named inner functions (tsx would wrap them in a helper the page lacks).
    const row = (a: { want: string; kind: string; focused: boolean }): { at: number; focused: number } | undefined => {
      const w = document.querySelector('.quick-input-widget');
      if (!w || w.style.display === 'none' || w.querySelector('.quick-input-progress.active')) return undefined;
      let at = -1;
      let focused = -1;
      for (const r of w.querySelectorAll('.quick-input-list .monaco-list-row')) {
        const i = Number(r.dataset.index);
        const name = r.querySelector('.label-name')?.textContent?.trim() ?? '';
        const dir = r.querySelector('.label-description')?.textContent?.trim() ?? '';
        if (at < 0 && (a.kind === 'file' && dir ? `${dir}/${name}` : name) === a.want) at = i;
        if (r.classList.contains('focused')) focused = i;
      }
      return at < 0 || (a.focused && at !== focused) ? undefined : { at, focused };
    };
    const found = await this.waitFor(`quick input row ${want}`, row, { want, kind, focused: false });
    if (!found) throw new Error(`no quick input row ${want}`);
    for (let i = found.focused; i < found.at; i++) await p.keyboard.press('ArrowDown');
    await this.waitFor(`quick input row ${want} focused`, row, { want, kind, focused: true });
    await p.keyboard.press('Enter');
    await this.waitFor('quick input closed', () => document.querySelector('.quick-input-widget')?.style.display === 'none', undefined);
  }

  /** Waits for `locator` to be visible; on timeout, a screenshot and an error named after `state`. */
  async waitLocator(state: string, locator: Locator, timeoutMs = 30_000): Promise<void> {
    try {
      await locator.waitFor({ timeout: timeoutMs });
    } catch (e) {
      const shot = await this.shot(`missing-${state}`).catch(() => 'no screenshot');
      throw new Error(
        `state not reached within ${timeoutMs} ms: ${state} (screenshot ${shot})\n${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** Moves the cursor of the active editor with Go to Line, then waits until the status bar shows it there. */
  async gotoLine(line: number, col: number): Promise<void> {
    const p = this.page;
    await p.keyboard.press('Control+G');
    await this.waitFor('go to line open', () => document.querySelector('.quick-input-widget input') === document.activeElement, undefined);
    await p.keyboard.type(`${line}:${col}`);
    await this.waitText(`go to line ${line}:${col} offered`, '.quick-input-list .monaco-list-row.focused', {
      has: [`line ${line} and character ${col}`],
    });
    await p.keyboard.press('Enter');
    await this.waitText(`cursor at ${line}:${col}`, '.statusbar-item', { has: [`Ln ${line}, Col ${col}`] });
    await this.waitFor(
      'editor focused',
      () => !!document.querySelector('.editor-group-container.active .monaco-editor.focused'),
      undefined,
    );
  }

  /** Accepts the suggestion `label` once it is the focused row of the visible suggest widget. */
  async acceptSuggestion(label: string): Promise<void> {
    await this.waitFor(
      `suggestion ${label} focused`,
      (label) => {
        const w = document.querySelector('.suggest-widget.visible');
        const row = w?.querySelector('.monaco-list-row.focused');
        return !!row && !w?.classList.contains('loading') && (row.getAttribute('aria-label') ?? '').startsWith(`${label},`);
      },
      label,
    );
    await this.page.keyboard.press('Enter');
  }

  /**
   * Opens the quick fix menu (Ctrl+.) once the lightbulb shows that the code actions at the cursor are
   * known: pressed while that computation was still running, it answered "No code actions available".
   */
  async openQuickFix(): Promise<void> {
    await this.waitFor(
      'lightbulb at the cursor',
      () => [...document.querySelectorAll('.editor-group-container.active [class*="lightbulb"]')].some((e) => e.checkVisibility()),
      undefined,
    );
    await this.page.keyboard.press('Control+.');
  }

  /** Moves the focus in the open action menu (lightbulb, Ctrl+.) to the row `label`, then runs it. */
  async runAction(label: string): Promise<void> {
    const p = this.page;
    const focused = (): Promise<string> =>
      p.evaluate(() => document.querySelector('.action-widget .monaco-list-row.focused')?.getAttribute('aria-label') ?? '');
    // The menu is keyboard-driven (a pointer block covers it): move the focus down to the fix.
    for (let i = 0; i < 10 && (await focused()) !== label; i++) {
      const before = await focused();
      await p.keyboard.press('ArrowDown');
      await this.waitFor(
        'action menu focus moved',
        (before) => (document.querySelector('.action-widget .monaco-list-row.focused')?.getAttribute('aria-label') ?? '') !== before,
        before,
      );
    }
    await this.waitFor(
      `action ${label} focused`,
      (label) => document.querySelector('.action-widget .monaco-list-row.focused')?.getAttribute('aria-label') === label,
      label,
    );
    await p.keyboard.press('Enter');
  }

  /** Runs a command from the palette by its title. */
  async command(title: string): Promise<void> {
    await this.quickInput('Control+Shift+P', title, title, 'command');
  }

  /** Opens a workspace file (by its path in the workspace) with Quick Open. */
  async open(rel: string): Promise<void> {
    await this.quickInput('Control+P', rel, rel, 'file');
    await this.waitFor(`editor for ${rel} active`, (rel) => document.title === rel, rel);
    await this.waitFor(
      `editor for ${rel} focused`,
      () => !!document.querySelector('.editor-group-container.active .monaco-editor.focused .view-lines'),
      undefined,
    );
  }

  /** Reverts the active editor, waits until it is clean, then closes all editors. */
  async revertAndCloseAll(): Promise<void> {
    await this.command('File: Revert File');
    await this.waitFor('active editor reverted', () => !document.querySelector('.tabs-container .tab.active.dirty'), undefined);
    await this.command('View: Close All Editors');
    await this.waitFor('all editors closed', () => !document.querySelector('.tabs-container .tab'), undefined);
  }

  /** Opens the Problems panel and waits until it shows either markers or its empty message. */
  async showProblems(): Promise<void> {
    if (!(await this.page.evaluate(() => !!document.querySelector('.markers-panel')?.checkVisibility())))
      await this.page.keyboard.press('Control+Shift+M');
    await this.waitFor(
      'problems panel rendered',
      () => {
        const m = document.querySelector('.markers-panel');
        return !!m?.checkVisibility() && (!!m.querySelector('.monaco-list-row') || /No problems/.test(m.innerText));
      },
      undefined,
    );
  }

  /** The Problems panel's text once it has every `has` and no `lacks` string. */
  async problems(state: string, want: { has?: string[]; lacks?: string[] }, timeoutMs = 60_000): Promise<string> {
    await this.showProblems();
    return this.waitText(state, '.markers-panel', want, timeoutMs);
  }

  /** Polls until `pred` holds, for state outside the page's DOM. */
  async until<T>(what: string, fn: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < end) {
      last = await fn();
      if (pred(last)) return last;
      // Poll interval: this state lives outside the page (files, processes, webview frames).
      await new Promise((r) => setTimeout(r, 500));
    }
    await this.shot(`missing-${what}`);
    throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
  }

  /** All text in frames (webviews live in nested iframes). */
  async frameText(contains: string): Promise<string | undefined> {
    for (const f of this.page.frames()) {
      const t = await f
        .locator('body')
        .innerText({ timeout: 1000 })
        .catch(() => '');
      if (t.includes(contains)) return t;
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    if (this.proc?.pid) {
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        // gone
      }
      const end = Date.now() + 5000;
      while (Date.now() < end && groupAlive(this.proc.pid))
        // Poll interval: a process group's end has no event to wait on.
        await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
