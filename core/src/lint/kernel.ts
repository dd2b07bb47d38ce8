import { rootStage, shippedInstructions, type ContainerfileModel, type InstructionInfo } from '../model/containerfile';
import type { DocWord, WriteEffect } from '../model/effects';
import { isUnder } from '../model/paths';
import { kernelPackages, type PackageEffect } from '../model/packages';

export interface KernelInstall {
  info: InstructionInfo;
  pkg: PackageEffect;
  word: DocWord;
}

/** Kernel packages installed in the final image's stages. */
export function kernelInstalls(model: ContainerfileModel): KernelInstall[] {
  const out: KernelInstall[] = [];
  for (const info of shippedInstructions(model)) {
    for (const pkg of info.packages) {
      // `pacman -Syu linux` installs as it upgrades.
      if (pkg.op !== 'install' && pkg.op !== 'upgrade' && pkg.op !== 'swap' && pkg.op !== 'upgrade-all') continue;
      const words = kernelPackages(pkg);
      const first = words[0];
      if (first) out.push({ info, pkg, word: first });
    }
  }
  return out;
}

function isModulesFile(w: WriteEffect, file: string, sourceHint: RegExp): boolean {
  const p = w.path;
  const underModules = isUnder(p, '/usr/lib/modules') || isUnder(p, '/lib/modules') || /^\/\$/.test(p);
  if (!underModules) return false;
  if (p.endsWith(`/${file}`)) return true;
  return !!w.intoDirectory && !!w.sources?.some((s) => sourceHint.test(s.value));
}

/** Writes that put a kernel image at /usr/lib/modules/$kver/vmlinuz. */
export function kernelCopies(model: ContainerfileModel): WriteEffect[] {
  return shippedInstructions(model).flatMap((i) => i.writes.filter((w) => isModulesFile(w, 'vmlinuz', /vmlinuz/)));
}

/** Writes (dracut output or copies) that produce /usr/lib/modules/$kver/initramfs.img. */
export function initramfsWrites(model: ContainerfileModel): WriteEffect[] {
  return shippedInstructions(model).flatMap((i) => i.writes.filter((w) => isModulesFile(w, 'initramfs.img', /initr/)));
}

/** A COPY of a whole root filesystem from another stage or image (`COPY --from=build /rootfs/ /`). */
export function copiesWholeRoot(model: ContainerfileModel): boolean {
  return shippedInstructions(model).some((i) =>
    i.writes.some(
      (w) => (w.via === 'copy' || w.via === 'add') && (w.path === '/' || w.path === '/usr' || isUnder(w.path, '/usr/lib/modules')),
    ),
  );
}

/** Packages only the author of a bootc base installs: a derived image gets them from its base. */
const BASE_BUILDING = /^(bootc|ostree|dracut|rpm-ostree)$/;

/**
 * The file installs what makes a bootc base (a kernel, bootc, ostree, dracut) into the final image,
 * so a base the family table does not know is taken for an ordinary distribution image.
 */
function buildsBootcBase(model: ContainerfileModel): boolean {
  return shippedInstructions(model).some((i) =>
    i.packages.some(
      (p) =>
        (p.op === 'install' || p.op === 'upgrade-all') &&
        (kernelPackages(p).length > 0 || p.packages.some((w) => BASE_BUILDING.test(w.value))),
    ),
  );
}

/**
 * The final image starts from a base that has no kernel and is not a bootc image: a known distribution
 * image, scratch, or an unknown image the file turns into a bootc base. A FROM that ARG defaults do not
 * resolve is never assumed to be one (it is usually a bootc base chosen with --build-arg).
 */
export function nonBootcRoot(model: ContainerfileModel): boolean {
  const root = rootStage(model);
  if (!root) return false;
  if (root.baseKind === 'non-bootc' || root.baseKind === 'scratch') return true;
  return root.baseKind === 'unknown' && !root.unresolved && buildsBootcBase(model);
}

export const KVER_SNIPPET = 'kver=$(ls /usr/lib/modules | head -n 1)';

const SYSTEM_BIN = /^\/(usr\/)?(s?bin|libexec)\//;
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh']);

/**
 * Shipped instructions from `from` on that run a script this file does not show (`/ctx/build.sh`,
 * `bash install.sh`, `. ./env`): what it installs or copies is unknown, so "nothing installs a
 * kernel" cannot be claimed. Universal Blue and bootcrew repositories keep most of their work there.
 */
export function runsHiddenScript(model: ContainerfileModel, from = 0): boolean {
  return shippedInstructions(model).some(
    (i) =>
      i.index >= from &&
      i.commands.some((c) => {
        const prog = c.nameWord.value;
        if (prog.includes('/') && !SYSTEM_BIN.test(prog)) return true;
        if (prog.endsWith('.sh') || c.name === 'source' || c.name === '.') return true;
        if (!SHELLS.has(c.name)) return false;
        // `bash script.sh` runs a file; `bash -c '…'` is parsed like the rest of the RUN.
        return !c.args.some((a) => /^-[a-z]*c[a-z]*$/.test(a.value)) && c.args.some((a) => !a.value.startsWith('-'));
      }),
  );
}
