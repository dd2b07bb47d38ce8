import { copiesWholeRoot, kernelCopies, kernelInstalls, nonBootcRoot, runsHiddenScript } from '../lint/kernel';
import { defineRule } from '../lint/rule';
import { rootStage } from '../model/containerfile';

export default defineRule({
  meta: {
    id: 'kernel-missing',
    severity: 'error',
    category: 'kernel',
    description: 'The final image can have no kernel: a non-bootc base, no kernel install and no copy into /usr/lib/modules.',
    fixable: false,
    why: 'A bootc image boots the kernel it ships at /usr/lib/modules/$kver/vmlinuz. Ordinary container images (debian, ubuntu, fedora, scratch) have none, and `bootc container lint` does not notice: its `kernel` lint passes when no kernel is found, so the first sign is an install or boot that fails.',
    bad: 'FROM docker.io/library/debian:bookworm\nLABEL containers.bootc=1\nRUN apt-get update && apt-get install -y systemd',
    good: 'FROM docker.io/library/debian:bookworm\nLABEL containers.bootc=1\nRUN apt-get update && apt-get install -y systemd linux-image-amd64 dracut && \\\n    kver=$(ls /usr/lib/modules | head -n 1) && \\\n    cp /boot/vmlinuz-"$kver" /usr/lib/modules/"$kver"/vmlinuz && \\\n    dracut --no-hostonly --kver "$kver" -f /usr/lib/modules/"$kver"/initramfs.img',
  },
  check({ model, report }) {
    if (!nonBootcRoot(model)) return;
    if (kernelInstalls(model).length > 0 || kernelCopies(model).length > 0 || copiesWholeRoot(model)) return;
    if (runsHiddenScript(model)) return;
    const root = rootStage(model);
    if (!root) return;
    const what = root.baseKind === 'scratch' ? 'scratch' : `${root.image} (${root.family?.title ?? 'not a bootc image'})`;
    report({
      range: root.imageRange,
      message: `The image starts from ${what}, which has no kernel, and nothing installs one or copies one into /usr/lib/modules/$kver/vmlinuz: it cannot boot. Install a kernel package and place vmlinuz and initramfs.img in /usr/lib/modules/$kver/.`,
    });
  },
});
