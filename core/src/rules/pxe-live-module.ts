import type { Label } from 'dockerfile-ast';
import type { Range } from 'vscode-languageserver-types';
import { defineRule } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';

/** The label that says an image is meant for network boot (`bootc-lab boot --mode pxe`, `bootc-lab export pxe`). */
export const PXE_LABEL = 'dev.bootc-lab.boot';

/** Packages that give the initramfs a live root fetched over the network. */
const LIVE_PACKAGES = new Set(['live-boot', 'live-boot-initramfs-tools', 'dracut-live']);

export default defineRule({
  meta: {
    id: 'pxe-live-module',
    severity: 'warning',
    category: 'kernel',
    description: 'An image labelled for network boot (`LABEL dev.bootc-lab.boot=pxe`) that installs no live initramfs module.',
    fixable: false,
    why: 'A diskless (PXE) boot has no root disk: the initramfs must fetch the root filesystem over the network and run it from RAM under a writable overlay. Debian and Ubuntu do that with live-boot (`boot=live fetch=URL`), dracut with its dmsquash-live and livenet modules (package dracut-live, `root=live:URL`). Without one the kernel boots and then waits forever for a root device. Installing the package is not enough: rebuild the initramfs after it, into /usr/lib/modules/$kver/initramfs.img.',
    bad: 'FROM localhost/debian-bootc:latest\nLABEL dev.bootc-lab.boot=pxe\nRUN apt-get install -y openssh-server',
    good: 'FROM localhost/debian-bootc:latest\nLABEL dev.bootc-lab.boot=pxe\nRUN apt-get install -y live-boot && kver=$(ls /usr/lib/modules) && \\\n    update-initramfs -u -k "$kver" && cp /boot/initrd.img-"$kver" /usr/lib/modules/"$kver"/initramfs.img',
  },
  check({ model, report }) {
    let label: { range: Range } | undefined;
    let live = false;
    for (const info of shippedInstructions(model)) {
      for (const pe of info.packages)
        if (pe.op === 'install' && pe.packages.some((w) => LIVE_PACKAGES.has(w.value.replace(/[=:].*$/, '')))) live = true;
      // dracut's own module list is enough when the base already ships dracut-live.
      for (const c of info.commands) if (c.name === 'dracut' && c.args.some((a) => /dmsquash-live/.test(a.value))) live = true;
      if (info.keyword !== 'LABEL') continue;
      let props;
      try {
        props = (info.ins as Label).getProperties();
      } catch {
        continue;
      }
      for (const p of props) if (p.getName() === PXE_LABEL && p.getValue() === 'pxe') label = { range: p.getRange() };
    }
    if (!label || live) return;
    report({
      range: label.range,
      message:
        'This image is meant for network boot but installs no live module: add live-boot (Debian/Ubuntu) or dracut-live (dracut, with --add "dmsquash-live livenet") and rebuild the initramfs, or the diskless boot finds no root.',
    });
  },
});
