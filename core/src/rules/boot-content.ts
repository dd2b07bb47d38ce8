import { appendToRun, lasting, mountCovers, removedLater, shippedWrites } from '../lint/helpers';
import { defineRule, type Fix } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';
import { isUnder } from '../model/paths';
import { kernelFillsBoot, kernelPackages } from '../model/packages';

export default defineRule({
  meta: {
    id: 'boot-content',
    severity: 'warning',
    category: 'filesystem',
    description: 'Content in /boot: masked at runtime; the kernel belongs in /usr/lib/modules/$kver.',
    fixable: true,
    why: 'bootc manages /boot itself: at install and upgrade it copies the kernel and initramfs from `/usr/lib/modules/$kver/` into the boot partition, which is mounted over /boot and hides anything the image put there. `bootc container lint` reports such content (`nonempty-boot`). Keep /boot empty (but present).',
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64',
    good: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 && \\\n    kver=$(ls /usr/lib/modules | head -n 1) && \\\n    cp /boot/vmlinuz-"$kver" /usr/lib/modules/"$kver"/vmlinuz && rm -rf /boot/*',
  },
  check({ model, report }) {
    for (const pw of shippedWrites(model)) {
      const p = pw.write.path;
      // /boot itself may exist (bootc wants it, empty); a copy or move *into* it adds content.
      const into = pw.write.intoDirectory === true && (pw.write.sources?.length ?? 0) > 0;
      if (!isUnder(p, '/boot') || (p === '/boot' && !into)) continue;
      // Sealed composefs UKIs are the one thing bootc expects in /boot.
      if (/^\/boot\/EFI\/Linux\/[^/]+\.efi$/.test(p)) continue;
      if (!lasting(model, pw)) continue;
      const first = pw.write.sources?.[0]?.value.replace(/\/+$/, '').split('/').pop();
      const shown = p === '/boot' && first ? `/boot/${first}` : p;
      report({
        range: pw.write.range,
        message: `${shown} is in /boot, which bootc manages and mounts over at runtime: this content is hidden. Keep the kernel and initramfs in /usr/lib/modules/$kver/.`,
      });
    }
    const infos = shippedInstructions(model);
    for (const info of infos) {
      for (const p of info.packages) {
        if ((p.op !== 'install' && p.op !== 'upgrade-all') || !kernelFillsBoot(p)) continue;
        const kernels = kernelPackages(p);
        const first = kernels[0];
        if (!first) continue;
        const probe = '/boot/vmlinuz-x';
        if (mountCovers(info, probe) || removedLater(model, info, probe, p.order)) continue;
        const fixes: Fix[] = [];
        // Only offer the clean-up when no later step still reads /boot (a copy into /usr/lib/modules).
        const laterReadsBoot = infos.some(
          (i) => i.index > info.index && i.commands.some((c) => c.args.some((a) => a.value.startsWith('/boot'))),
        );
        const append = laterReadsBoot ? undefined : appendToRun(model, info, 'rm -rf /boot/*');
        if (append) fixes.push({ title: 'Empty /boot at the end of this RUN', edits: [append], preferred: true });
        report({
          range: first.range,
          message: `${first.value} puts the kernel, initrd and System.map into /boot, which is hidden at runtime. Copy what you need into /usr/lib/modules/$kver/ and empty /boot (rm -rf /boot/*) in the same RUN.`,
          fixes,
        });
      }
    }
  },
});
