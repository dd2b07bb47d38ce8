import { appendToRun } from '../lint/helpers';
import { KVER_SNIPPET, kernelCopies, kernelInstalls, runsHiddenScript } from '../lint/kernel';
import { defineRule, type Fix } from '../lint/rule';
import { kernelLayout } from '../model/packages';

export default defineRule({
  meta: {
    id: 'kernel-location',
    severity: 'error',
    category: 'kernel',
    description:
      'A kernel package that installs /boot/vmlinuz-* (Debian, Ubuntu, Alpine, Azure Linux) with no copy to /usr/lib/modules/$kver/vmlinuz.',
    fixable: true,
    why: "bootc looks for the kernel only at /usr/lib/modules/$kver/vmlinuz (and the initramfs next to it). Debian, Ubuntu and Alpine kernel packages put the kernel in /boot/vmlinuz-$kver (Azure Linux's adds only a symlink to it), which bootc ignores and masks at runtime. Copy it into place in the same RUN. Fedora/CentOS, Arch (`linux*`, CachyOS `linux-cachyos*`) and openSUSE kernels already install /usr/lib/modules/$kver/vmlinuz.",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64',
    good: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 && \\\n    kver=$(ls /usr/lib/modules | head -n 1) && \\\n    cp /boot/vmlinuz-"$kver" /usr/lib/modules/"$kver"/vmlinuz',
  },
  check({ model, report }) {
    if (kernelCopies(model).length > 0) return;
    for (const k of kernelInstalls(model)) {
      if (kernelLayout(k.pkg) !== 'boot' || k.pkg.op === 'upgrade') continue;
      // A script run in this step or later may be what copies it.
      if (runsHiddenScript(model, k.info.index)) continue;
      const src = k.pkg.family === 'pacman' ? `/boot/vmlinuz-${k.word.value}` : '/boot/vmlinuz-"$kver"';
      const fixes: Fix[] = [];
      // Azure Linux leaves a symlink to /boot there: replace it rather than write through it.
      const cp = k.pkg.manager === 'tdnf' ? 'cp --remove-destination' : 'cp';
      const edit = appendToRun(model, k.info, `${KVER_SNIPPET} && ${cp} ${src} /usr/lib/modules/"$kver"/vmlinuz`);
      if (edit) fixes.push({ title: 'Copy the kernel to /usr/lib/modules/$kver/vmlinuz', edits: [edit], preferred: true });
      report({
        range: k.word.range,
        message: `${k.word.value} installs the kernel as ${src.replace(/"/g, '')}, but bootc only boots /usr/lib/modules/$kver/vmlinuz: copy it there.`,
        fixes,
      });
    }
  },
});
