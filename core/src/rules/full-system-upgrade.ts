import { defineRule } from '../lint/rule';
import { rootStage, shippedInstructions } from '../model/containerfile';

export default defineRule({
  meta: {
    id: 'full-system-upgrade',
    severity: 'warning',
    category: 'kernel',
    description: 'dnf update|upgrade without packages, apt full-upgrade|dist-upgrade, pacman -Syu in an image derived from a bootc base.',
    fixable: false,
    why: "A bootc base is a tested, versioned OS: updates arrive by rebuilding on a newer base image. Upgrading everything inside the build un-pins the base, can pull in a second kernel or a bootloader that bootc does not manage, and makes the image differ from every other derived image. Fedora's docs say not to run `dnf -y update` in bootc builds. Bump the base tag (or digest) instead, or upgrade only the packages you need.",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y upgrade',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y upgrade openssl && dnf clean all',
  },
  check({ model, report }) {
    const root = rootStage(model);
    if (root?.baseKind !== 'bootc') return;
    for (const info of shippedInstructions(model)) {
      for (const p of info.packages) {
        if (p.op !== 'upgrade-all') continue;
        const sub = p.command.args.find((a) => !a.value.startsWith('-'))?.value ?? p.command.args.map((a) => a.value).join(' ');
        report({
          range: p.command.range,
          message: `${p.manager} ${sub} upgrades the whole ${root.family?.title ?? 'bootc'} base inside the build: move to a newer base image instead, or upgrade only named packages.`,
        });
      }
    }
  },
});
