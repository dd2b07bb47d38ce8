import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { treeWriter, writeBootcSkeleton } from '../tree';

/** The tests need real podman; a missing one is a failure, never a skip. */
export function requirePodman(): void {
  const r = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `podman is required for the integration tests (install it: apt-get install podman buildah runc busybox-static): ${r.error?.message ?? r.stderr}`,
    );
}

/** This machine needs chroot isolation for RUN steps (see README); a workstation does not mind it. */
export const ISOLATION = process.env.BOOTC_LAB_TEST_ISOLATION ?? 'chroot';

export const BUSYBOX_BASE = 'localhost/bootc-lab-test-busybox:2';

function findBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (fs.existsSync(p)) return p;
  throw new Error('busybox (static) is required for the integration tests: apt-get install busybox-static');
}

/**
 * A tiny bootc-shaped base made from static busybox with `podman import`, cached by tag: the ostree
 * layout, composefs config and sysusers/tmpfiles for what it ships, so every finding in a test
 * image comes from the test's own Containerfile.
 */
export function ensureBusyboxBase(): string {
  if (spawnSync('podman', ['image', 'exists', BUSYBOX_BASE]).status === 0) return BUSYBOX_BASE;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-base-'));
  try {
    const root = path.join(dir, 'root');
    const mk = treeWriter(root);
    for (const d of [
      'bin',
      'dev',
      'proc',
      'sys',
      'run',
      'tmp',
      'var',
      'boot',
      'sysroot',
      'etc',
      'usr/lib/sysusers.d',
      'usr/lib/tmpfiles.d',
      'usr/lib/ostree',
    ])
      mk(d);
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    fs.copyFileSync(findBusybox(), path.join(root, 'bin/busybox'));
    fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
    for (const a of [
      'sh',
      'ls',
      'mkdir',
      'echo',
      'cat',
      'rm',
      'ln',
      'touch',
      'cp',
      'true',
      'false',
      'sleep',
      'adduser',
      'addgroup',
      'chmod',
    ])
      fs.symlinkSync('busybox', path.join(root, 'bin', a));
    writeBootcSkeleton(root);
    const tar = path.join(dir, 'root.tar');
    const t = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
    if (t.status !== 0) throw new Error(`tar failed: ${t.stderr.toString()}`);
    const imp = spawnSync('podman', ['import', tar, BUSYBOX_BASE], { encoding: 'utf8' });
    if (imp.status !== 0) throw new Error(`podman import failed: ${imp.stderr}`);
    return BUSYBOX_BASE;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Overlay mounts and containers, to check that nothing is left behind. */
export function leftovers(): { mounts: string[]; containers: string[] } {
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => /containers\/storage\/overlay\/[0-9a-f]+\/merged/.test(m));
  const ps = spawnSync('podman', ['ps', '--all', '--external', '--format', '{{.ID}}'], { encoding: 'utf8' });
  return { mounts, containers: ps.stdout.split('\n').filter(Boolean) };
}

/**
 * What appeared since `before` and is still there. Only new entries count: a mount or container of
 * another test file (they run concurrently on machines with more cores) may come and go meanwhile.
 */
export function leftSince(before: { mounts: string[]; containers: string[] }): { mounts: string[]; containers: string[] } {
  const now = leftovers();
  return {
    mounts: now.mounts.filter((m) => !before.mounts.includes(m)),
    containers: now.containers.filter((c) => !before.containers.includes(c)),
  };
}
