import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { NotFoundError, runChecked, type RunOptions } from '../process/run';
import { inspectImage, mountImage, unmountImage, type PodmanTarget } from '../podman/podman';
import { MACHINE_SHIM } from './machine-shim';

const SHIM_HASH = crypto.createHash('sha256').update(MACHINE_SHIM).digest('hex').slice(0, 12);

/** Where disks and kernels are cached, by image ID. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'bootc-lab', 'vm');
}

export interface QuickArtifacts {
  imageId: string;
  kver: string;
  kernel: string;
  initrd: string;
  rootDisk: string;
  /** Served from the cache without touching the image. */
  cached: boolean;
  /** Apparent size of the root filesystem, bytes. */
  rootfsBytes: number;
}

/** Thrown when the image cannot be booted as it is; the message says what to fix in the Containerfile. */
export class ImageNotBootableError extends Error {}

/** A cache entry's key: the image ID fully identifies its content; the version guards format changes. */
export function quickCacheKey(imageId: string): string {
  // v2: the root disk carries the machine-state shim (/.bootc-lab), so a changed shim makes new disks.
  return crypto.createHash('sha256').update(`quick-v2:${SHIM_HASH}:${imageId}`).digest('hex').slice(0, 32);
}

/**
 * Adds /.bootc-lab/{init,image-id} to a root disk made by mkfs.ext4, outside the image's own paths:
 * the shim a boot with machine state runs as init=. debugfs writes into the filesystem image
 * without mounting it (no root needed); it exits 0 even when a command fails, so the result is read back.
 */
export async function addMachineShim(rootDisk: string, imageId: string, workDir: string, ro: RunOptions = {}): Promise<void> {
  fs.writeFileSync(path.join(workDir, 'init'), MACHINE_SHIM, { mode: 0o755 });
  fs.writeFileSync(path.join(workDir, 'image-id'), `${imageId}\n`);
  const script = [
    'mkdir .bootc-lab',
    'write init .bootc-lab/init',
    'sif .bootc-lab/init mode 0100755',
    'write image-id .bootc-lab/image-id',
    'sif .bootc-lab/image-id mode 0100644',
    ...['.bootc-lab', '.bootc-lab/init', '.bootc-lab/image-id'].flatMap((f) => [`sif ${f} uid 0`, `sif ${f} gid 0`]),
  ].join('\n');
  try {
    // Relative names in the script (cwd = workDir): debugfs's own parser would split paths with spaces.
    await runChecked({ command: 'debugfs', args: ['-w', '-f', '-', rootDisk], cwd: workDir, input: `${script}\n` }, ro);
  } catch (e) {
    if (e instanceof NotFoundError) throw new Error('debugfs was not found: install e2fsprogs.');
    throw e;
  }
  const back = await runChecked({ command: 'debugfs', args: ['-R', 'cat /.bootc-lab/image-id', rootDisk] }, ro);
  if (back.stdout.trim() !== imageId) throw new Error(`Could not add the machine-state shim to ${rootDisk}: ${back.stderr.trim()}`);
  fs.rmSync(path.join(workDir, 'init'));
  fs.rmSync(path.join(workDir, 'image-id'));
}

/** The image's kernel: `vmlinuz` (+ `initramfs.img`) in /usr/lib/modules/$kver, or a UKI there or in /boot/EFI/Linux. */
export function findKernel(root: string): { kver: string; kernel?: string; initrd?: string; uki?: string } | undefined {
  const dir = path.join(root, 'usr/lib/modules');
  let kvers: string[] = [];
  try {
    kvers = fs.readdirSync(dir).sort();
  } catch {
    kvers = [];
  }
  for (const kver of [...kvers].reverse()) {
    const kernel = path.join(dir, kver, 'vmlinuz');
    if (!fs.existsSync(kernel)) continue;
    const initrd = path.join(dir, kver, 'initramfs.img');
    return { kver, kernel, initrd: fs.existsSync(initrd) ? initrd : undefined };
  }
  const efi = (d: string): string[] => {
    try {
      return fs
        .readdirSync(d)
        .filter((f) => f.endsWith('.efi'))
        .sort()
        .map((f) => path.join(d, f));
    } catch {
      return [];
    }
  };
  for (const kver of [...kvers].reverse()) {
    const uki = efi(path.join(dir, kver))[0];
    if (uki) return { kver, uki };
  }
  const boot = efi(path.join(root, 'boot/EFI/Linux'))[0];
  if (boot) return { kver: path.basename(boot, '.efi'), uki: boot };
  return undefined;
}

/** Copies a UKI's `.linux` and `.initrd` PE sections out as a kernel and an initramfs. */
export async function extractUki(uki: string, kernelOut: string, initrdOut: string, ro: RunOptions = {}): Promise<void> {
  for (const [section, out] of [
    ['.linux', kernelOut],
    ['.initrd', initrdOut],
  ] as const) {
    try {
      await runChecked({ command: 'objcopy', args: ['-O', 'binary', `--only-section=${section}`, uki, out] }, ro);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new Error("objcopy was not found: it extracts the kernel from the image's UKI; install binutils.");
      throw e;
    }
    if (!fs.existsSync(out) || fs.statSync(out).size === 0)
      throw new ImageNotBootableError(`The UKI ${path.basename(uki)} has no ${section} section.`);
  }
}

function treeBytes(root: string): number {
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const d = stack.pop() ?? root;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        try {
          total += fs.lstatSync(p).size;
        } catch {
          // vanished
        }
      }
    }
  }
  return total;
}

/**
 * Quick-boot artifacts for an image: its kernel and initramfs from /usr/lib/modules/$kver, and an
 * ext4 root disk made from its filesystem (`mkfs.ext4 -d`). Cached by image ID, so a second boot of
 * an unchanged image starts QEMU at once.
 */
export async function prepareQuickBoot(
  t: PodmanTarget & { image: string; cacheDir?: string; mkfsPath?: string; log?: (s: string) => void },
  ro: RunOptions = {},
): Promise<QuickArtifacts> {
  const inspect = await inspectImage(t, t.image, ro);
  const key = quickCacheKey(inspect.Id);
  const dir = path.join(t.cacheDir ?? defaultCacheDir(), key);
  const meta = path.join(dir, 'meta.json');
  if (fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as Omit<QuickArtifacts, 'cached'>;
    if ([m.kernel, m.initrd, m.rootDisk].every((f) => fs.existsSync(f))) {
      const now = new Date();
      fs.utimesSync(meta, now, now);
      return { ...m, cached: true };
    }
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    const root = await mountImage(t, t.image, ro);
    try {
      const k = findKernel(root);
      if (!k)
        throw new ImageNotBootableError(
          `${t.image} has no kernel: there is no /usr/lib/modules/$kver/vmlinuz. Install a kernel and copy it there (see the rules kernel-missing and kernel-location).`,
        );
      if (k.uki) {
        t.log?.(`Extracting the kernel and initramfs from the UKI ${k.uki.slice(root.length)}`);
        await extractUki(k.uki, path.join(tmp, 'vmlinuz'), path.join(tmp, 'initramfs.img'), ro);
      } else {
        if (!k.initrd || !k.kernel) {
          throw new ImageNotBootableError(
            `${t.image} has a kernel (${k.kver}) but no /usr/lib/modules/${k.kver}/initramfs.img. Build one with dracut (see the rule initramfs-missing).`,
          );
        }
        fs.copyFileSync(k.kernel, path.join(tmp, 'vmlinuz'));
        fs.copyFileSync(k.initrd, path.join(tmp, 'initramfs.img'));
      }
      const bytes = treeBytes(root);
      // Room for the journal, package caches and first-boot state on top of the image itself.
      const size = Math.max(2 * 1024 ** 3, Math.ceil((bytes * 1.4 + 512 * 1024 ** 2) / 1024 ** 2) * 1024 ** 2);
      t.log?.(`Making a ${(size / 1024 ** 3).toFixed(1)} GiB ext4 root disk from ${(bytes / 1024 ** 2).toFixed(0)} MiB of image content`);
      try {
        await runChecked(
          {
            command: t.mkfsPath ?? 'mkfs.ext4',
            args: ['-q', '-F', '-L', 'root', '-d', root, path.join(tmp, 'root.img'), `${Math.floor(size / 1024)}k`],
          },
          ro,
        );
      } catch (e) {
        if (e instanceof NotFoundError)
          throw new Error(
            'mkfs.ext4 was not found: install e2fsprogs (Fedora: sudo dnf install e2fsprogs; Debian/Ubuntu: sudo apt-get install e2fsprogs).',
          );
        throw e;
      }
      await addMachineShim(path.join(tmp, 'root.img'), inspect.Id, tmp, ro);
      const art: Omit<QuickArtifacts, 'cached'> = {
        imageId: inspect.Id,
        kver: k.kver,
        kernel: path.join(dir, 'vmlinuz'),
        initrd: path.join(dir, 'initramfs.img'),
        rootDisk: path.join(dir, 'root.img'),
        rootfsBytes: bytes,
      };
      fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(art, null, 2));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
      return { ...art, cached: false };
    } finally {
      await unmountImage(t, t.image);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Total bytes of the cache and its entries, oldest first (by last use). */
export function cacheEntries(cacheDir = defaultCacheDir()): { dir: string; bytes: number; usedAt: number }[] {
  if (!fs.existsSync(cacheDir)) return [];
  return fs
    .readdirSync(cacheDir)
    .map((n) => path.join(cacheDir, n))
    .filter((d) => fs.statSync(d).isDirectory())
    .map((d) => {
      let bytes = 0;
      for (const f of fs.readdirSync(d)) {
        try {
          // Disks are sparse: count what they really use.
          bytes += fs.statSync(path.join(d, f)).blocks * 512;
        } catch {
          // vanished
        }
      }
      const meta = path.join(d, 'meta.json');
      const usedAt = fs.existsSync(meta) ? fs.statSync(meta).mtimeMs : fs.statSync(d).mtimeMs;
      return { dir: d, bytes, usedAt };
    })
    .sort((a, b) => a.usedAt - b.usedAt);
}

/** Removes the least recently used entries until the cache is under `limitBytes` (never `keep`). */
export function pruneCache(limitBytes: number, cacheDir = defaultCacheDir(), keep?: string): string[] {
  const entries = cacheEntries(cacheDir);
  let total = entries.reduce((s, e) => s + e.bytes, 0);
  const removed: string[] = [];
  for (const e of entries) {
    if (total <= limitBytes) break;
    if (keep && e.dir === keep) continue;
    fs.rmSync(e.dir, { recursive: true, force: true });
    total -= e.bytes;
    removed.push(e.dir);
  }
  return removed;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A fresh ed25519 key pair for one VM, private key mode 0600. */
export async function makeSshKey(dir: string, ro: RunOptions = {}): Promise<{ privateKey: string; publicKey: string }> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKey = path.join(dir, 'id_ed25519');
  fs.rmSync(privateKey, { force: true });
  fs.rmSync(`${privateKey}.pub`, { force: true });
  try {
    await runChecked({ command: 'ssh-keygen', args: ['-q', '-t', 'ed25519', '-N', '', '-C', 'bootc-lab', '-f', privateKey] }, ro);
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new Error(
        'ssh-keygen was not found: install OpenSSH (Fedora: sudo dnf install openssh-clients; Debian/Ubuntu: sudo apt-get install openssh-client).',
      );
    throw e;
  }
  fs.chmodSync(privateKey, 0o600);
  return { privateKey, publicKey: fs.readFileSync(`${privateKey}.pub`, 'utf8').trim() };
}
