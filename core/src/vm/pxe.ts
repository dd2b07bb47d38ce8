import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { NotFoundError, runChecked, type RunOptions } from '../process/run';
import { inspectImage, mountImage, unmountImage, type PodmanTarget } from '../podman/podman';
import { defaultCacheDir, extractUki, findKernel, ImageNotBootableError } from './prepare';

/** The initramfs family that can fetch a squashfs root over the network and run it from RAM. */
export type LiveFamily = 'live-boot' | 'dracut';

/**
 * Where each file goes in a PXE tree. The kernel and initramfs follow the `images/pxeboot` layout of
 * bootc's ISO/PXE trees and dracut's root is `LiveOS/squashfs.img` as in those trees; live-boot only
 * fetches URLs that end in `.squashfs`, so its root is `live/filesystem.squashfs` (Debian's layout).
 */
export const TREE = {
  kernel: 'images/pxeboot/vmlinuz',
  initrd: 'images/pxeboot/initrd.img',
  root: (f: LiveFamily): string => (f === 'dracut' ? 'LiveOS/squashfs.img' : 'live/filesystem.squashfs'),
  ipxe: 'boot.ipxe',
  pxelinux: 'pxelinux.cfg/default',
  grub: 'grub.cfg',
  sums: 'SHA256SUMS',
};

/** Which live module the image's initramfs tooling ships; undefined when neither. */
export function detectLiveFamily(root: string): LiveFamily | undefined {
  const exists = (p: string): boolean => fs.existsSync(path.join(root, p));
  if (exists('usr/lib/live/boot') || exists('lib/live/boot') || exists('usr/share/initramfs-tools/scripts/live')) return 'live-boot';
  const mods = (() => {
    try {
      return fs.readdirSync(path.join(root, 'usr/lib/dracut/modules.d'));
    } catch {
      return [];
    }
  })();
  if (mods.some((m) => /^\d+dmsquash-live$/.test(m)) && mods.some((m) => /^\d+livenet$/.test(m))) return 'dracut';
  return undefined;
}

/** What to add when the image has no live module, phrased for the image's own tooling. */
export function missingLiveModuleAdvice(root: string): string {
  const dracut = fs.existsSync(path.join(root, 'usr/lib/dracut')) || fs.existsSync(path.join(root, 'usr/bin/dracut'));
  const deb = fs.existsSync(path.join(root, 'var/lib/dpkg')) || fs.existsSync(path.join(root, 'usr/lib/dpkg'));
  if (dracut)
    return `its dracut has no dmsquash-live and livenet modules: install ${deb ? 'dracut-live (apt-get install dracut-live)' : 'dracut-live (dnf install dracut-live)'} and rebuild the initramfs with --add "dmsquash-live livenet"`;
  if (deb)
    return 'its initramfs has no live module: apt-get install live-boot (with initramfs-tools), run update-initramfs, and copy the new initrd to /usr/lib/modules/$kver/initramfs.img';
  return 'its initramfs has no live module: add dracut-live (dracut: dmsquash-live + livenet) or Debian live-boot and rebuild the initramfs';
}

/** Kernel arguments that fetch the root from `${base-url}` (an iPXE/GRUB variable or a literal URL). */
export function liveKernelArgs(f: LiveFamily, base: string, extra: string[] = []): string[] {
  const url = `${base}${TREE.root(f)}`;
  const common = ['console=ttyS0,115200', 'panic=-1', 'systemd.journald.forward_to_console=0'];
  return f === 'dracut'
    ? [`root=live:${url}`, 'rd.live.image', 'rd.neednet=1', 'ip=dhcp', ...common, ...extra]
    : ['boot=live', `fetch=${url}`, ...common, ...extra];
}

/**
 * The iPXE script. `base-url` defaults to the TFTP/next server over HTTP, so the same script works on
 * a PXE server that serves the tree at its web root; a chainloading script can set it first.
 */
export function ipxeScript(f: LiveFamily, extra: string[] = []): string {
  return [
    '#!ipxe',
    '# bootc Lab: diskless boot, the root filesystem is fetched into RAM with a writable overlay.',
    'isset ${base-url} || set base-url http://${next-server}/',
    `kernel \${base-url}${TREE.kernel} initrd=initrd.img ${liveKernelArgs(f, '${base-url}', extra).join(' ')}`,
    `initrd \${base-url}${TREE.initrd}`,
    'boot',
    '',
  ].join('\n');
}

export function pxelinuxEntry(f: LiveFamily, baseUrl: string, extra: string[] = []): string {
  return [
    '# bootc Lab: kernel and initrd over TFTP from this tree; the root over HTTP from BASE-URL.',
    'DEFAULT bootc',
    'LABEL bootc',
    `  KERNEL ${TREE.kernel}`,
    `  INITRD ${TREE.initrd}`,
    `  APPEND ${liveKernelArgs(f, baseUrl, extra).join(' ')}`,
    '',
  ].join('\n');
}

export function grubEntry(f: LiveFamily, baseUrl: string, extra: string[] = []): string {
  return [
    '# bootc Lab: GRUB network boot; $net_default_server is the server GRUB was loaded from.',
    "menuentry 'bootc (diskless)' {",
    `  linux (http,\${net_default_server})/${TREE.kernel} ${liveKernelArgs(f, baseUrl, extra).join(' ')}`,
    `  initrd (http,\${net_default_server})/${TREE.initrd}`,
    '}',
    '',
  ].join('\n');
}

export interface PxeTree {
  dir: string;
  family: LiveFamily;
  imageId: string;
  kver: string;
  cached: boolean;
}

function sha256(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Writes the boot scripts and SHA256SUMS into a tree that already holds the kernel, initrd and root. */
export function writeTreeScripts(dir: string, f: LiveFamily, baseUrl: string, extra: string[] = []): void {
  fs.writeFileSync(path.join(dir, TREE.ipxe), ipxeScript(f, extra));
  fs.mkdirSync(path.join(dir, 'pxelinux.cfg'), { recursive: true });
  fs.writeFileSync(path.join(dir, TREE.pxelinux), pxelinuxEntry(f, baseUrl, extra));
  fs.writeFileSync(path.join(dir, TREE.grub), grubEntry(f, baseUrl, extra));
  const files = [TREE.kernel, TREE.initrd, TREE.root(f), TREE.ipxe, TREE.pxelinux, TREE.grub];
  fs.writeFileSync(path.join(dir, TREE.sums), files.map((p) => `${sha256(path.join(dir, p))}  ${p}\n`).join(''));
}

/**
 * The PXE tree of an image: kernel, initramfs, and a squashfs of its filesystem (mksquashfs over
 * `podman image mount`), cached by image ID. Refuses, before any work, an image whose initramfs
 * cannot fetch a live root.
 */
export async function preparePxeTree(
  t: PodmanTarget & { image: string; cacheDir?: string; mksquashfsPath?: string; log?: (s: string) => void },
  ro: RunOptions = {},
): Promise<PxeTree> {
  const inspect = await inspectImage(t, t.image, ro);
  const key = crypto.createHash('sha256').update(`pxe-v1:${inspect.Id}`).digest('hex').slice(0, 32);
  const dir = path.join(t.cacheDir ?? defaultCacheDir(), `pxe-${key}`);
  const meta = path.join(dir, 'meta.json');
  if (fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as Omit<PxeTree, 'cached'>;
    return { ...m, dir, cached: true };
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    const root = await mountImage(t, t.image, ro);
    try {
      const k = findKernel(root);
      if (!k)
        throw new ImageNotBootableError(
          `${t.image} has no kernel: there is no /usr/lib/modules/$kver/vmlinuz (see the rule kernel-missing).`,
        );
      const family = detectLiveFamily(root);
      if (!family) throw new ImageNotBootableError(`${t.image} cannot boot over the network: ${missingLiveModuleAdvice(root)}.`);
      for (const d of ['images/pxeboot', path.dirname(TREE.root(family))]) fs.mkdirSync(path.join(tmp, d), { recursive: true });
      if (k.uki) await extractUki(k.uki, path.join(tmp, TREE.kernel), path.join(tmp, TREE.initrd), ro);
      else {
        if (!k.kernel || !k.initrd) throw new ImageNotBootableError(`${t.image} has no /usr/lib/modules/${k.kver}/initramfs.img.`);
        fs.copyFileSync(k.kernel, path.join(tmp, TREE.kernel));
        fs.copyFileSync(k.initrd, path.join(tmp, TREE.initrd));
      }
      t.log?.(`Making a squashfs of ${t.image} for ${family} (cached afterwards)`);
      try {
        await runChecked(
          {
            command: t.mksquashfsPath ?? 'mksquashfs',
            args: [
              root,
              path.join(tmp, TREE.root(family)),
              '-noappend',
              '-comp',
              'zstd',
              '-Xcompression-level',
              '6',
              '-quiet',
              '-no-progress',
            ],
          },
          ro,
        );
      } catch (e) {
        if (e instanceof NotFoundError) throw new Error('mksquashfs was not found: install squashfs-tools.');
        throw e;
      }
      const m: Omit<PxeTree, 'cached' | 'dir'> = { family, imageId: inspect.Id, kver: k.kver };
      writeTreeScripts(tmp, family, 'http://PXE-SERVER/');
      fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(m, null, 2));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
      return { ...m, dir, cached: false };
    } finally {
      await unmountImage(t, t.image);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Copies a prepared tree to `out` for a real PXE server, with scripts for `baseUrl` and fresh checksums. */
export function exportPxeTree(tree: PxeTree, out: string, baseUrl: string): string[] {
  const f = tree.family;
  for (const p of [TREE.kernel, TREE.initrd, TREE.root(f)]) {
    fs.mkdirSync(path.dirname(path.join(out, p)), { recursive: true });
    fs.copyFileSync(path.join(tree.dir, p), path.join(out, p));
  }
  writeTreeScripts(out, f, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  return [TREE.kernel, TREE.initrd, TREE.root(f), TREE.ipxe, TREE.pxelinux, TREE.grub, TREE.sums];
}

/** Serves a directory read-only over HTTP on 127.0.0.1 (QEMU's user network shows it to the guest as 10.0.2.2). */
export function serveTree(dir: string): Promise<{ port: number; close: () => Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const rootDir = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push(url);
    const file = path.resolve(rootDir, `.${url}`);
    if (!file.startsWith(`${rootDir}${path.sep}`) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      resolve({
        port,
        requests,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/**
 * A TFTP directory for QEMU's built-in server: the bootfile sets `base-url` to our HTTP server and
 * chains to the tree's own script, so the exported script is what boots.
 */
export function writeChainScript(tftpDir: string, treeDir: string, httpPort: number): string {
  fs.mkdirSync(tftpDir, { recursive: true });
  const base = `http://10.0.2.2:${httpPort}/`;
  fs.writeFileSync(path.join(tftpDir, 'chain.ipxe'), `#!ipxe\ndhcp\nset base-url ${base}\nchain \${base-url}${TREE.ipxe}\n`);
  if (!fs.existsSync(path.join(treeDir, TREE.ipxe))) throw new Error(`${treeDir} has no ${TREE.ipxe}: not a PXE tree`);
  return 'chain.ipxe';
}

/** Reads the family back from an exported tree (which root file it has). */
export function treeFamily(dir: string): LiveFamily {
  if (fs.existsSync(path.join(dir, TREE.root('dracut')))) return 'dracut';
  if (fs.existsSync(path.join(dir, TREE.root('live-boot')))) return 'live-boot';
  throw new Error(`${dir} is not a PXE tree: it has neither ${TREE.root('dracut')} nor ${TREE.root('live-boot')}`);
}

/** An exported tree, booted as it is (its own iPXE script). */
export function openPxeTree(dir: string): PxeTree {
  return { dir: path.resolve(dir), family: treeFamily(dir), imageId: '', kver: '', cached: true };
}
