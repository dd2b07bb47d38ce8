import { filesOf } from '../lint/context-files';
import { shippedWrites } from '../lint/helpers';
import { nonBootcRoot } from '../lint/kernel';
import { defineRule, type BuildContext, type Fix } from '../lint/rule';
import { shippedInstructions, type ContainerfileModel } from '../model/containerfile';
import type { DocCommand } from '../model/effects';
import { commandsNamed } from '../model/indexes';
import { isUnder } from '../model/paths';

const MODULE = /(^|[\s"'])(bootc|ostree)($|[\s"'])/;
const CONF_DIRS = ['/etc/dracut.conf.d', '/usr/lib/dracut/dracut.conf.d'];
/** A COPY into one of these may carry dracut configuration we cannot see (`COPY rootfs/ /`). */
const CONF_ANCESTORS = ['/', '/etc', '/usr', '/usr/lib', '/usr/lib/dracut', '/etc/dracut.conf'];

/**
 * Packages that ship a dracut.conf.d file adding the module. Debian's `ostree-boot` (bookworm
 * 2022.7-2+deb12u1, seen with `dpkg -c`) ships /etc/dracut.conf.d/ostree.conf
 * (`add_dracutmodules+=" ostree systemd "`) and /usr/lib/dracut/modules.d/98ostree.
 */
const SHIPS_CONF: Record<string, string[]> = { deb: ['ostree-boot'] };
/** Packages of other families that may ship such a file: their layout is not checked here, so stay quiet. */
const MAY_SHIP = ['ostree', 'rpm-ostree', 'bootc', 'ostree-boot'];

export type ModuleEvidence = 'yes' | 'no' | 'unknown';

const before = (a: { index: number; order: number }, b: { index: number; order: number }): boolean =>
  a.index < b.index || (a.index === b.index && a.order < b.order);

/** `--add ostree`, `-a "bootc"`, `--add=ostree`, `-m "… ostree …"` on dracut's own command line. */
export function addsModuleOnCommandLine(cmd: DocCommand): boolean {
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]?.value ?? '';
    const eq = /^--(add|force-add|modules)=(.*)$/.exec(v);
    if (eq && MODULE.test(` ${eq[2] ?? ''} `)) return true;
    if (['-a', '--add', '--force-add', '-m', '--modules'].includes(v) && MODULE.test(` ${args[i + 1]?.value ?? ''} `)) return true;
  }
  return false;
}

/** Whether the image, at the point of this dracut call, has configuration or packages that add the module. */
export function moduleBefore(model: ContainerfileModel, ctx: BuildContext, at: { index: number; order: number }): ModuleEvidence {
  let unknown = false;
  for (const pw of shippedWrites(model)) {
    if (!before({ index: pw.info.index, order: pw.write.order }, at)) continue;
    const w = pw.write;
    if ((w.via === 'copy' || w.via === 'add') && CONF_ANCESTORS.includes(w.path)) unknown = true;
    if (!CONF_DIRS.some((d) => isUnder(w.path, d)) && w.path !== '/etc/dracut.conf') continue;
    for (const f of filesOf(pw, ctx)) {
      if (f.content === undefined) unknown = true;
      else if (/^\s*(force_)?(add_)?dracutmodules\+?=.*\b(bootc|ostree)\b/m.test(f.content)) return 'yes';
    }
  }
  for (const info of shippedInstructions(model)) {
    for (const p of info.packages) {
      if (!before({ index: info.index, order: p.order }, at) || (p.op !== 'install' && p.op !== 'upgrade')) continue;
      const names = p.packages.map((w) => w.value.replace(/[=:].*$/, ''));
      if (names.some((n) => (SHIPS_CONF[p.family] ?? []).includes(n))) return 'yes';
      if (p.family !== 'deb' && names.some((n) => MAY_SHIP.includes(n))) unknown = true;
    }
    // bootc's `make install-initramfs-dracut` installs its module and the configuration that adds it.
    for (const c of info.commands)
      if (
        c.name === 'make' &&
        before({ index: info.index, order: c.order }, at) &&
        c.args.some((a) => a.value === 'install-initramfs-dracut')
      )
        return 'yes';
  }
  return unknown ? 'unknown' : 'no';
}

export default defineRule({
  meta: {
    id: 'initramfs-bootc-module',
    severity: 'error',
    category: 'kernel',
    description: "On a non-bootc base, dracut builds the initramfs without bootc's or ostree's dracut module.",
    fixable: true,
    why: "A bootc system boots through its initramfs: ostree's `ostree-prepare-root` (dracut module `ostree`) or bootc's `initramfs-setup` (dracut module `bootc`) finds the deployment named on the kernel command line and makes it the root before switch-root. An initramfs without either cannot find its deployment and the machine stops at switch-root. bootc bases ship the configuration; on a custom base add the module: `--add ostree` on the dracut command line, `add_dracutmodules+=\" ostree \"` in a /etc/dracut.conf.d file, or a package that ships one (Debian's `ostree-boot`; bootc's `make install-initramfs-dracut`).",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 dracut && kver=$(ls /usr/lib/modules) && \\\n    dracut --no-hostonly --kver "$kver" -f /usr/lib/modules/$kver/initramfs.img',
    good: 'FROM docker.io/library/debian:bookworm\nRUN apt-get install -y linux-image-amd64 dracut ostree-boot && kver=$(ls /usr/lib/modules) && \\\n    dracut --no-hostonly --kver "$kver" -f /usr/lib/modules/$kver/initramfs.img',
  },
  check({ model, report, buildContext }) {
    if (!nonBootcRoot(model)) return;
    const deb = shippedInstructions(model).some((i) => i.packages.some((p) => p.family === 'deb')) || undefined;
    for (const { info, cmd } of commandsNamed(model, 'dracut')) {
      if (!info.stage.shipped) continue;
      const flags = cmd.args.map((a) => a.value);
      if (['--list-modules', '--print-cmdline', '-h', '--help', '--version'].some((o) => flags.includes(o))) continue;
      // Another configuration file or directory: its content is not ours to read.
      if (flags.some((f) => /^(-c|--conf|--confdir)(=|$)/.test(f))) continue;
      if (addsModuleOnCommandLine(cmd)) continue;
      if (moduleBefore(model, buildContext, { index: info.index, order: cmd.order }) !== 'no') continue;
      const at = cmd.nameWord.range.end;
      const fixes: Fix[] = [
        {
          title: 'Add the ostree dracut module (--add ostree)',
          edits: [{ range: { start: at, end: at }, newText: ' --add ostree' }],
          preferred: true,
        },
      ];
      report({
        range: cmd.nameWord.range,
        message: `dracut builds the initramfs without the ostree or bootc dracut module: the machine cannot find its deployment and stops at switch-root. Add \`--add ostree\`${deb ? ' and install ostree-boot (it ships the module and /etc/dracut.conf.d/ostree.conf)' : ' (with the module installed)'}, or add_dracutmodules+=" ostree " in /etc/dracut.conf.d.`,
        fixes,
      });
    }
  },
});
