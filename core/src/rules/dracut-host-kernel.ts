import { defineRule, type Fix } from '../lint/rule';
import { commandsNamed } from '../model/indexes';
import { positionals, VALUE_OPTS_EXTRA } from '../model/effects';
import { resolvePath, isUnder } from '../model/paths';

export default defineRule({
  meta: {
    id: 'dracut-host-kernel',
    severity: 'warning',
    category: 'kernel',
    description: "dracut without --kver or an explicit version (it uses the build host's kernel), or writing into /boot.",
    fixable: true,
    why: 'Without a kernel version dracut asks `uname -r`, which in a container build is the build host\'s kernel, not the image\'s: the initramfs gets the wrong modules or dracut fails. Without an output path it writes /boot/initramfs-$(uname -r).img, which bootc ignores. Always pass `--kver "$kver"` and `/usr/lib/modules/$kver/initramfs.img`.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dracut -f',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN kver=$(ls /usr/lib/modules | head -n 1) && \\\n    dracut --no-hostonly --kver "$kver" -f /usr/lib/modules/"$kver"/initramfs.img',
  },
  check({ model, report }) {
    for (const { info, cmd: c } of commandsNamed(model, 'dracut')) {
      if (!info.stage.shipped) continue;
      {
        const { pos, opts } = positionals(c.args, VALUE_OPTS_EXTRA.dracut ?? []);
        if (['--regenerate-all', '--print-cmdline', '--list-modules', '-h', '--help', '--version'].some((o) => opts.has(o))) continue;
        const hasKver = opts.has('--kver') || pos.length >= 2;
        const out = pos[0];
        const intoBoot = !out || isUnder(resolvePath(out.value, info.workdir), '/boot');
        if (hasKver && !intoBoot) continue;
        const problems = [
          !hasKver ? "no --kver, so it builds for the build host's kernel (uname -r)" : '',
          intoBoot ? (out ? `writes ${out.value} in /boot, which bootc ignores` : 'no output path, so it writes into /boot') : '',
        ].filter(Boolean);
        const fixes: Fix[] = [];
        if (!hasKver && !out) {
          const end = c.range.end;
          fixes.push({
            title: 'Build for the image kernel into /usr/lib/modules/$kver',
            edits: [
              {
                range: { start: c.nameWord.range.start, end },
                newText: `kver=$(ls /usr/lib/modules | head -n 1) && ${model.doc.getText({ start: c.nameWord.range.start, end })} --kver "$kver" /usr/lib/modules/"$kver"/initramfs.img`,
              },
            ],
            preferred: true,
          });
        }
        report({
          range: c.nameWord.range,
          message: `dracut has ${problems.join(' and ')}. Pass --kver "$kver" and /usr/lib/modules/$kver/initramfs.img.`,
          fixes,
        });
      }
    }
  },
});
