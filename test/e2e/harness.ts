import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CODE_SERVER, ROOT, chromiumPath, ensureCodeServer } from './setup';

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

/** The packaged extension, built once per run: the e2e tests use the real VSIX. */
export function packageVsix(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const vsix = path.join(ROOT, `bootc-lab-${pkg.version}.vsix`);
  const r = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(vsix)) throw new Error(`npm run package failed: ${r.stderr}\n${r.stdout}`);
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
    fs.writeFileSync(path.join(this.userData, 'User', 'settings.json'), JSON.stringify(this.settings, null, 2));
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
    for (let i = 0; i < 120 && (await get(`http://127.0.0.1:${this.port}/healthz`)) !== 200; i++)
      await new Promise((r) => setTimeout(r, 500));
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
    await this.page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await this.page.waitForSelector('.statusbar', { timeout: 60_000 });
    await this.page.waitForTimeout(3000);
  }

  async shot(name: string): Promise<string> {
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Types into the quick input that `chord` opens and accepts the first match once the list has settled. */
  private async quickInput(chord: string, text: string, settleMs: number): Promise<void> {
    const p = this.page;
    await p.keyboard.press('Escape');
    await p.keyboard.press(chord);
    await p.waitForSelector('.quick-input-widget:not([style*="display: none"]) input');
    await p.keyboard.type(text, { delay: 10 });
    await p.waitForTimeout(settleMs);
    await p.keyboard.press('Enter');
  }

  /** Runs a command from the palette by its title. */
  async command(title: string): Promise<void> {
    await this.quickInput('Control+Shift+P', title, 700);
    await this.page.waitForTimeout(500);
  }

  /** Opens a workspace file with Quick Open. */
  async open(rel: string): Promise<void> {
    await this.quickInput('Control+P', rel, 1000);
    await this.page.waitForSelector('.monaco-editor .view-lines', { timeout: 30_000 });
    await this.page.waitForTimeout(1000);
  }

  /** The Problems panel's text (opening it first). */
  async problems(): Promise<string> {
    const p = this.page;
    if (
      !(await p
        .locator('.markers-panel')
        .isVisible()
        .catch(() => false))
    )
      await p.keyboard.press('Control+Shift+M');
    await p.waitForSelector('.markers-panel', { timeout: 30_000 });
    await p.waitForTimeout(500);
    return (await p.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
  }

  /** Polls until `pred` holds (never a fixed sleep for a result). */
  async until<T>(what: string, fn: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < end) {
      last = await fn();
      if (pred(last)) return last;
      await this.page.waitForTimeout(500);
    }
    await this.shot(`timeout-${what.replace(/\W+/g, '-')}`);
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
      await new Promise((r) => setTimeout(r, 1000));
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
