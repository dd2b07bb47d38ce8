import * as fs from 'node:fs';
import * as path from 'node:path';
import { lstat } from './rootfs';
import { defineImageLint } from './types';

function checkBaseimageRoot(root: string): string | undefined {
  const sysroot = lstat(path.join(root, 'sysroot'));
  if (!sysroot) return 'Missing /sysroot';
  if (!sysroot.isDirectory()) return 'Expected a directory for /sysroot';
  const link = lstat(path.join(root, 'ostree'));
  if (!link) return 'Missing ostree -> sysroot/ostree link';
  if (!link.isSymbolicLink()) return '/ostree should be a symlink';
  const target = fs.readlinkSync(path.join(root, 'ostree'));
  if (target !== 'sysroot/ostree') return `Expected /ostree -> sysroot/ostree, not "${target}"`;
  return undefined;
}

export default defineImageLint({
  meta: {
    name: 'baseimage-root',
    type: 'fatal',
    description: 'Check that expected files are present in the root of the filesystem, such as /sysroot and the /ostree link.',
    hint: 'A custom base needs `mkdir -p /sysroot && ln -s sysroot/ostree /ostree`.',
  },
  check(root) {
    for (const r of [root, path.join(root, 'usr/share/doc/bootc/baseimage/base')]) {
      if (r !== root && !lstat(r)?.isDirectory()) continue;
      const msg = checkBaseimageRoot(r);
      if (msg) return { message: msg, items: [], paths: [msg.includes('sysroot') && !msg.includes('ostree') ? '/sysroot' : '/ostree'] };
    }
    return undefined;
  },
});
