import { appendToRun } from '../lint/helpers';
import { KVER_SNIPPET, kernelCopies, kernelInstalls, runsHiddenScript } from '../lint/kernel';
import { rootStage } from '../model/containerfile';

/** Debian bases that follow testing or unstable, where the kernel packages' layout changed. */
const NEWER_DEBIAN = /(^|\/)debian:(sid|unstable|testing|forky)(-|$)/;
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
    why: "bootc looks for the kernel only at /usr/lib/modules/$kver/vmlinuz (and the initramfs next to it). Debian, Ubuntu and Alpine kernel packages put the kernel in /boot/vmlinuz-$kver (Azure Linux's adds only a symlink to it), which bootc ignores and masks at runtime. Copy it into place in the same RUN, only when it is missing: Debian's kernel packages from forky (testing/unstable) on ship /usr/lib/modules/$kver/vmlinuz themselves, hard-linked to /boot, and `cp` refuses to copy a file onto itself (so on those bases this is a warning). Fedora/CentOS, Arch (`linux*`, CachyOS `linux-cachyos*`) and openSUSE kernels already install /usr/lib/modules/$kver/vmlinuz.",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64',
    good: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 && \\\n    kver=$(ls /usr/lib/modules | head -n 1) && \\\n    { [ -e /usr/lib/modules/"$kver"/vmlinuz ] || cp /boot/vmlinuz-"$kver" /usr/lib/modules/"$kver"/vmlinuz; }',
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
      // Debian from forky on ships /usr/lib/modules/$kver/vmlinuz itself (hard-linked to /boot), and cp
      // refuses to copy a file onto itself: copy only when it is missing.
      const dst = '/usr/lib/modules/"$kver"/vmlinuz';
      const copy = k.pkg.family === 'deb' ? `{ [ -e ${dst} ] || ${cp} ${src} ${dst}; }` : `${cp} ${src} ${dst}`;
      const edit = appendToRun(model, k.info, `${KVER_SNIPPET} && ${copy}`);
      if (edit) fixes.push({ title: 'Copy the kernel to /usr/lib/modules/$kver/vmlinuz', edits: [edit], preferred: true });
      const newDebian = k.pkg.family === 'deb' && NEWER_DEBIAN.test(rootStage(model)?.image ?? '');
      report({
        range: k.word.range,
        message: newDebian
          ? `${k.word.value} on Debian testing/unstable: kernels from forky on install /usr/lib/modules/$kver/vmlinuz themselves, older ones only ${src.replace(/"/g, '')}; bootc boots only the first. Copy it there when it is missing.`
          : `${k.word.value} installs the kernel as ${src.replace(/"/g, '')}, but bootc only boots /usr/lib/modules/$kver/vmlinuz: copy it there.`,
        fixes,
        // Not certain to be wrong there: a warning, not an error.
        severity: newDebian ? 'warning' : undefined,
      });
    }
  },
});
