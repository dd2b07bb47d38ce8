import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A plain Debian bookworm with a real kernel, systemd and sshd, imported into podman; cached by tag. */
export const DEBIAN_BASE = 'localhost/bootc-lab-test-debian:bookworm';

function mirror(): string {
  const text = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
  const m = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm/m.exec(text);
  return m?.[1] ?? 'http://deb.debian.org/debian';
}

export function ensureDebianBase(log: (s: string) => void = () => undefined): string {
  if (spawnSync('podman', ['image', 'exists', DEBIAN_BASE]).status === 0) return DEBIAN_BASE;
  if (spawnSync('debootstrap', ['--version']).status !== 0) throw new Error('debootstrap is required (apt-get install debootstrap)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-debian-'));
  try {
    const root = path.join(dir, 'root');
    log(`debootstrap bookworm from ${mirror()} (takes a few minutes, cached afterwards as ${DEBIAN_BASE})`);
    const include = 'systemd-sysv,udev,linux-image-amd64,openssh-server,iproute2';
    const d = spawnSync('debootstrap', ['--variant=minbase', `--include=${include}`, 'bookworm', root, mirror()], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (d.status !== 0) throw new Error(`debootstrap failed: ${(d.stderr || d.stdout).split('\n').slice(-20).join('\n')}`);
    const tar = path.join(dir, 'root.tar');
    const t = spawnSync('tar', ['-C', root, '-cf', tar, '.'], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
    const imp = spawnSync('podman', ['import', tar, DEBIAN_BASE], { encoding: 'utf8' });
    if (imp.status !== 0) throw new Error(`podman import failed: ${imp.stderr}`);
    return DEBIAN_BASE;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  ensureDebianBase((s) => process.stdout.write(`${s}\n`));
  process.stdout.write(`${DEBIAN_BASE} ready\n`);
}
