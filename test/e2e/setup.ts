import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Installs code-server 4.100.3 (real VS Code 1.100.3 on Node 20) into .cache/, once. Its
 * @vscode/ripgrep postinstall downloads from GitHub, which is unreachable here, so the download
 * cache it looks in is filled with Debian's rg first.
 */
export const ROOT = path.resolve(__dirname, '../..');
// Outside the checkout, so a fresh clone (CI) reuses the install from an earlier run on this machine.
export const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'bootc-lab', 'e2e');
export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER = path.join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).split('\n').slice(-20).join('\n')}`,
    );
  return r.stdout;
}

export function chromiumPath(): string {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(p)) return p;
  throw new Error('Chromium is required for the VS Code end-to-end tests (apt-get install chromium)');
}

function ripgrepCaches(tmp: string): void {
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => fs.existsSync(p));
  if (!rg) throw new Error('ripgrep is required to install code-server offline (apt-get install ripgrep)');
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-'));
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'rgv-'));
  try {
    fs.copyFileSync(rg, path.join(stage, 'rg'));
    const versions = JSON.parse(sh('npm', ['view', '@vscode/ripgrep', 'versions', '--json'])) as string[];
    for (const v of versions.filter((x) => /^1\.(1[5-9]|[2-9]\d)\./.test(x))) {
      let asset: string | undefined;
      try {
        const tgz =
          sh('npm', ['pack', `@vscode/ripgrep@${v}`, '--silent'], { cwd: probe })
            .trim()
            .split('\n')
            .pop() ?? '';
        const files = sh('tar', ['-tzf', path.join(probe, tgz)])
          .split('\n')
          .filter((f) => /^package\/lib\/.*\.js$/.test(f));
        for (const f of files) {
          asset ??= /const VERSION = '([^']+)'/.exec(sh('tar', ['-xzOf', path.join(probe, tgz), f]))?.[1];
        }
      } catch {
        continue;
      }
      if (!asset) continue;
      const dir = path.join(tmp, `vscode-ripgrep-cache-${v}`);
      fs.mkdirSync(dir, { recursive: true });
      sh('tar', ['-C', stage, '-czf', path.join(dir, `ripgrep-${asset}-x86_64-unknown-linux-musl.tar.gz`), 'rg']);
    }
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

export function ensureCodeServer(log: (s: string) => void = () => undefined): string {
  if (fs.existsSync(CODE_SERVER)) return CODE_SERVER;
  const dir = path.join(CACHE, 'code-server');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-tmp-'));
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (once; ~2 minutes)`);
  try {
    ripgrepCaches(tmp);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"code-server-cache","private":true}\n');
    sh('npm', ['install', `code-server@${CODE_SERVER_VERSION}`, '--no-audit', '--no-fund', '--foreground-scripts'], {
      cwd: dir,
      // npm 11 runs no install scripts unless allowed; code-server needs its own (native modules, VS Code deps).
      // code-server's own postinstall insists on npm_config_unsafe_perm when run as root.
      env: {
        ...process.env,
        TMPDIR: tmp,
        npm_config_yes: 'true',
        npm_config_unsafe_perm: 'true',
        npm_config_dangerously_allow_all_scripts: 'true',
      },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!fs.existsSync(CODE_SERVER)) throw new Error('code-server did not install');
  return CODE_SERVER;
}

if (require.main === module) {
  process.stdout.write(`${ensureCodeServer((s) => process.stdout.write(`${s}\n`))}\n`);
}
