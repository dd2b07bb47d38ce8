import { appendToRun, mountCovers, removedLater } from '../lint/helpers';
import { defineRule, type Fix } from '../lint/rule';
import type { InstructionInfo } from '../model/containerfile';
import { shippedInstructions } from '../model/containerfile';
import type { PackageFamily } from '../model/packages';
import { commandsNamed } from '../model/indexes';

interface Leftover {
  what: string;
  /** A representative file the manager leaves; cleaned when any removal or mount covers it. */
  probe: string;
  /** Sub-commands that clean it (`dnf clean all`). */
  cleanedBy?: (cmd: { name: string; args: string[] }) => boolean;
  mount: string;
}

const isClean = (managers: string[], sub: string[]) => (c: { name: string; args: string[] }) =>
  managers.includes(c.name) && c.args.some((a) => sub.includes(a));

const LEFTOVERS: Record<PackageFamily, { leftovers: Leftover[]; cleanup: (mgr: string) => string }> = {
  rpm: {
    leftovers: [
      {
        what: 'cache in /var/cache',
        probe: '/var/cache/libdnf5/repo/x.rpm',
        cleanedBy: isClean(['dnf', 'dnf5', 'yum', 'microdnf'], ['clean']),
        mount: '/var/cache',
      },
      { what: 'logs in /var/log', probe: '/var/log/dnf5.log', mount: '/var/log' },
    ],
    cleanup: (mgr) => `${mgr} clean all && rm -rf /var/cache/* /var/log/*`,
  },
  deb: {
    leftovers: [
      {
        what: 'package cache in /var/cache/apt',
        probe: '/var/cache/apt/archives/x.deb',
        cleanedBy: isClean(['apt-get', 'apt'], ['clean', 'distclean']),
        mount: '/var/cache/apt',
      },
      { what: 'package lists in /var/lib/apt/lists', probe: '/var/lib/apt/lists/x_Packages', mount: '/var/lib/apt/lists' },
      { what: 'logs in /var/log (apt, dpkg.log)', probe: '/var/log/dpkg.log', mount: '/var/log' },
    ],
    cleanup: () => 'apt-get clean && rm -rf /var/cache/apt/* /var/lib/apt/lists/* /var/log/*',
  },
  zypp: {
    leftovers: [
      {
        what: 'cache in /var/cache/zypp',
        probe: '/var/cache/zypp/packages/x.rpm',
        cleanedBy: isClean(['zypper'], ['clean', 'cc']),
        mount: '/var/cache/zypp',
      },
      { what: 'logs in /var/log', probe: '/var/log/zypper.log', mount: '/var/log' },
    ],
    cleanup: () => 'zypper clean --all && rm -rf /var/log/*',
  },
  pacman: {
    leftovers: [
      {
        what: 'package cache in /var/cache/pacman',
        probe: '/var/cache/pacman/pkg/x.pkg.tar.zst',
        cleanedBy: (c) => c.name === 'pacman' && c.args.some((a) => /^-S\w*cc/.test(a)),
        mount: '/var/cache/pacman',
      },
      { what: 'logs in /var/log', probe: '/var/log/pacman.log', mount: '/var/log' },
    ],
    cleanup: () => 'pacman -Scc --noconfirm && rm -rf /var/log/*',
  },
  apk: {
    leftovers: [
      { what: 'cache in /var/cache/apk', probe: '/var/cache/apk/x.apk', cleanedBy: isClean(['apk'], ['cache']), mount: '/var/cache/apk' },
    ],
    cleanup: () => 'rm -rf /var/cache/apk/*',
  },
};

function missing(
  info: InstructionInfo,
  laterInfos: InstructionInfo[],
  later: (p: string, order: number) => boolean,
  family: PackageFamily,
  order: number,
): Leftover[] {
  const cleans = (l: Leftover, i: InstructionInfo, after: number): boolean =>
    !!l.cleanedBy && i.commands.some((c) => c.order > after && l.cleanedBy?.({ name: c.name, args: c.args.map((a) => a.value) }));
  return LEFTOVERS[family].leftovers.filter((l) => {
    if (mountCovers(info, l.probe)) return false;
    if (later(l.probe, order)) return false;
    // A clean-up later in this RUN, or in a later step of the final image, leaves the final filesystem clean.
    if (cleans(l, info, order) || laterInfos.some((i) => i.commands.length > 0 && cleans(l, i, -1))) return false;
    return true;
  });
}

export default defineRule({
  meta: {
    id: 'package-manager-leftovers',
    severity: 'warning',
    category: 'filesystem',
    description: 'Package installs that leave caches, logs or state in /var (no clean-up, no cache mounts).',
    fixable: true,
    why: 'Package managers write caches, repository metadata and logs under /var. In a bootc image that content is shipped as initial machine state, bloats every layer, makes builds unreproducible and is reported by `bootc container lint` (`var-log`, `var-tmpfiles`). A leftover dnf cache has even broken image import (bootc#1201). Clean up in the same RUN, or keep the cache outside the image with `RUN --mount=type=cache`.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && dnf clean all && rm -rf /var/cache/* /var/log/*\n# or keep caches out of the image:\nRUN --mount=type=cache,target=/var/cache --mount=type=cache,target=/var/log dnf -y install httpd',
  },
  check({ model, report }) {
    // Instructions that clean something; few, so the "cleaned later?" question stays cheap.
    const cleaners = [
      ...new Set(
        commandsNamed(model, 'dnf', 'dnf5', 'yum', 'microdnf', 'apt-get', 'apt', 'zypper', 'pacman', 'apk')
          .filter(
            ({ info, cmd: c }) =>
              info.stage.shipped &&
              Object.values(LEFTOVERS).some((f) =>
                f.leftovers.some((l) => l.cleanedBy?.({ name: c.name, args: c.args.map((a) => a.value) })),
              ),
          )
          .map(({ info }) => info),
      ),
    ];
    for (const info of shippedInstructions(model)) {
      for (const p of info.packages) {
        if (p.op !== 'install' && p.op !== 'upgrade' && p.op !== 'upgrade-all' && p.op !== 'swap') continue;
        if (p.family === 'rpm' && p.manager === 'rpm') continue;
        if (p.family === 'deb' && p.manager === 'dpkg') continue;
        if (p.family === 'apk' && p.noCache) continue;
        const laterInfos = cleaners.filter((i) => i.index > info.index);
        const left = missing(info, laterInfos, (probe, order) => !!removedLater(model, info, probe, order), p.family, p.order);
        if (left.length === 0) continue;
        const fixes: Fix[] = [];
        const append = appendToRun(model, info, LEFTOVERS[p.family].cleanup(p.manager));
        if (append) fixes.push({ title: `Clean up after ${p.manager} in this RUN`, edits: [append], preferred: true });
        const kw = info.ins.getInstructionRange();
        const mounts = left.map((l) => `--mount=type=cache,target=${l.mount}`).join(' ');
        fixes.push({
          title: `Keep ${p.manager}'s files out of the image with cache mounts`,
          edits: [{ range: { start: kw.end, end: kw.end }, newText: ` ${mounts}` }],
        });
        report({
          range: p.command.nameWord.range,
          message: `${p.manager} leaves its ${left.map((l) => l.what).join(', ')} in the image: clean up in the same RUN or use RUN --mount=type=cache.`,
          fixes,
        });
      }
    }
  },
});
