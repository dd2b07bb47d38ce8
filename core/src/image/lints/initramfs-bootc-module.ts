import * as path from 'node:path';
import { InitramfsUnreadable, listInitramfs } from '../initramfs';
import { list, lstat } from './rootfs';
import { defineOwnImageLint } from './types';

/**
 * What the two root-setup dracut modules put in the initramfs: ostree's `98ostree`
 * (`/usr/lib/ostree/ostree-prepare-root` and its unit) and bootc's module
 * (`/usr/lib/bootc/initramfs-setup` and `bootc-root-setup.service`, bootc-dev/bootc crates/initramfs/dracut).
 */
const ROOT_SETUP = [
  /(^|\/)ostree-prepare-root(\.service)?$/,
  /(^|\/)usr\/lib\/bootc\/initramfs-setup$/,
  /(^|\/)bootc-root-setup\.service$/,
];

export default defineOwnImageLint({
  meta: {
    name: 'initramfs-bootc-module',
    type: 'fatal',
    own: true,
    description: "An initramfs in /usr/lib/modules/$kver holds neither ostree's nor bootc's root setup.",
    hint: "Build it with the module: `dracut --add ostree …` (Debian: install `ostree-boot`, which also ships `/etc/dracut.conf.d/ostree.conf`), or bootc's module via `make install-initramfs-dracut` (typing-time rule `initramfs-bootc-module`).",
  },
  async check(root, ctx) {
    const dir = path.join(root, 'usr/lib/modules');
    const missing: string[] = [];
    for (const kver of list(dir)) {
      const rel = `usr/lib/modules/${kver}/initramfs.img`;
      if (!lstat(path.join(root, rel))?.isFile()) continue;
      let names: string[];
      try {
        names = (await listInitramfs(path.join(root, rel), { signal: ctx.signal })).entries.map((e) => e.name);
      } catch (e) {
        if (e instanceof InitramfsUnreadable) {
          ctx.note(`initramfs-bootc-module: /${rel} not checked: ${e.message}`);
          continue;
        }
        throw e;
      }
      if (!names.some((n) => ROOT_SETUP.some((re) => re.test(n)))) missing.push(`/${rel}`);
    }
    if (missing.length === 0) return undefined;
    return {
      message:
        "The initramfs holds neither ostree's root setup (ostree-prepare-root) nor bootc's (initramfs-setup): the machine cannot find its deployment and stops at switch-root:",
      items: missing,
      paths: missing,
    };
  },
});
