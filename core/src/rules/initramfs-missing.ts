import { appendToRun } from '../lint/helpers';
import { KVER_SNIPPET, initramfsWrites, kernelInstalls, nonBootcRoot } from '../lint/kernel';
import { defineRule, type Fix } from '../lint/rule';

export default defineRule({
  meta: {
    id: 'initramfs-missing',
    severity: 'warning',
    category: 'kernel',
    description: 'A kernel installed on a non-bootc base with no dracut producing /usr/lib/modules/$kver/initramfs.img.',
    fixable: true,
    why: "bootc boots /usr/lib/modules/$kver/initramfs.img next to the kernel. bootc bases regenerate it through their kernel-install integration; on a custom base (Debian, Ubuntu, Arch, plain Fedora) nothing does, and a distribution's own initrd in /boot lacks the ostree/bootc modules. Build it with dracut for the image's kernel version.",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 && kver=$(ls /usr/lib/modules) && cp /boot/vmlinuz-$kver /usr/lib/modules/$kver/vmlinuz',
    good: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 dracut ostree-boot && kver=$(ls /usr/lib/modules) && \\\n    cp /boot/vmlinuz-$kver /usr/lib/modules/$kver/vmlinuz && \\\n    dracut --no-hostonly --add ostree --kver "$kver" -f /usr/lib/modules/$kver/initramfs.img',
  },
  check({ model, report }) {
    if (!nonBootcRoot(model) || initramfsWrites(model).length > 0) return;
    const k = kernelInstalls(model)[0];
    if (!k) return;
    const fixes: Fix[] = [];
    const edit = appendToRun(
      model,
      k.info,
      // With the ostree module: without it (or bootc's) the initramfs cannot set up the deployment, and the fix
      // would only trade this finding for initramfs-bootc-module.
      `${KVER_SNIPPET} && dracut --no-hostonly --add ostree --kver "$kver" --reproducible -f /usr/lib/modules/"$kver"/initramfs.img`,
    );
    if (edit)
      fixes.push({ title: 'Build /usr/lib/modules/$kver/initramfs.img with dracut and the ostree module', edits: [edit], preferred: true });
    report({
      range: k.word.range,
      message: `${k.word.value} is installed but nothing builds /usr/lib/modules/$kver/initramfs.img: run dracut --kver "$kver" with that output path.`,
      fixes,
    });
  },
});
