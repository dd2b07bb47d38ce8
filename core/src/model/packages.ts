import type { Range } from 'vscode-languageserver-types';
import { positionals, type DocCommand, type DocWord } from './effects';

export type PackageFamily = 'rpm' | 'deb' | 'pacman' | 'apk' | 'zypp';
export type PackageOp = 'install' | 'remove' | 'upgrade-all' | 'upgrade' | 'clean' | 'swap' | 'other';

export interface PackageEffect {
  kind: 'package';
  manager: string;
  family: PackageFamily;
  op: PackageOp;
  packages: DocWord[];
  /** The manager's own argv mentions a no-cache option (`apk --no-cache`). */
  noCache: boolean;
  range: Range;
  order: number;
  command: DocCommand;
}

const VALUE_OPTS: Record<string, string[]> = {
  dnf: [
    '--setopt',
    '--repo',
    '--enablerepo',
    '--disablerepo',
    '-x',
    '--exclude',
    '--releasever',
    '--installroot',
    '-c',
    '--config',
    '--repofrompath',
    '--forcearch',
    '--use-host-config',
  ],
  'apt-get': ['-o', '-t', '--target-release', '-c'],
  zypper: ['-r', '--repo', '--from', '-t', '--type'],
  pacman: ['--root', '-r', '-b', '--dbpath', '--cachedir', '--config', '--ignore'],
  apk: ['-X', '--repository', '-p', '--root', '-t', '--virtual'],
  rpm: ['--root', '--dbpath', '--define', '-D'],
  dpkg: ['--root', '--admindir'],
};
VALUE_OPTS.yum = VALUE_OPTS.dnf ?? [];
VALUE_OPTS.microdnf = VALUE_OPTS.dnf ?? [];
VALUE_OPTS.dnf5 = VALUE_OPTS.dnf ?? [];
// Azure Linux (and Photon OS) use tdnf, which takes dnf's options.
VALUE_OPTS.tdnf = VALUE_OPTS.dnf ?? [];
VALUE_OPTS.apt = VALUE_OPTS['apt-get'] ?? [];

function subcommand(pos: DocWord[]): { sub: string; rest: DocWord[] } {
  const [first, ...rest] = pos;
  return { sub: first?.value ?? '', rest };
}

/** The commands packageEffect reads (the cases below). */
const MANAGERS = new Set([
  'dnf',
  'dnf5',
  'yum',
  'tdnf',
  'microdnf',
  'rpm',
  'apt',
  'apt-get',
  'aptitude',
  'dpkg',
  'zypper',
  'pacman',
  'apk',
]);

/** Reads a package-manager invocation: which family, what it does, which packages. */
export function packageEffect(cmd: DocCommand): PackageEffect | undefined {
  const name = cmd.name;
  // Most commands are not package managers: skip reading their options.
  if (!MANAGERS.has(name)) return undefined;
  const { pos, opts } = positionals(cmd.args, VALUE_OPTS[name] ?? []);
  const base = { kind: 'package' as const, manager: name, range: cmd.range, order: cmd.order, command: cmd, noCache: false };
  const optKeys = [...opts.keys()];
  switch (name) {
    case 'dnf':
    case 'dnf5':
    case 'yum':
    case 'tdnf':
    case 'microdnf': {
      let { sub, rest } = subcommand(pos);
      if (sub === 'group' || sub === 'groups' || sub === 'module') ({ sub, rest } = subcommand(rest));
      const op: PackageOp = ['install', 'in', 'reinstall', 'localinstall', 'groupinstall'].includes(sub)
        ? 'install'
        : ['remove', 'erase', 'rm', 'autoremove'].includes(sub)
          ? 'remove'
          : ['update', 'upgrade', 'up', 'distro-sync', 'dsync', 'upgrade-minimal'].includes(sub)
            ? rest.length
              ? 'upgrade'
              : 'upgrade-all'
            : sub === 'swap'
              ? 'swap'
              : sub === 'clean'
                ? 'clean'
                : 'other';
      return { ...base, family: 'rpm', op, packages: rest };
    }
    case 'rpm': {
      const install = optKeys.some((k) => ['-i', '-U', '-F', '--install', '--upgrade', '--freshen', '--reinstall'].includes(k));
      const remove = optKeys.some((k) => ['-e', '--erase'].includes(k));
      const query = optKeys.some((k) => ['-q', '--query', '-V', '--verify'].includes(k));
      if (query) return { ...base, family: 'rpm', op: 'other', packages: [] };
      return { ...base, family: 'rpm', op: install ? 'install' : remove ? 'remove' : 'other', packages: pos };
    }
    case 'apt':
    case 'apt-get':
    case 'aptitude': {
      const { sub, rest } = subcommand(pos);
      const op: PackageOp =
        sub === 'install' || sub === 'reinstall'
          ? 'install'
          : ['remove', 'purge', 'autoremove'].includes(sub)
            ? 'remove'
            : ['full-upgrade', 'dist-upgrade'].includes(sub)
              ? 'upgrade-all'
              : sub === 'upgrade'
                ? rest.length
                  ? 'upgrade'
                  : 'upgrade-all'
                : ['clean', 'autoclean', 'distclean'].includes(sub)
                  ? 'clean'
                  : 'other';
      return { ...base, family: 'deb', op, packages: rest };
    }
    case 'dpkg': {
      const install = optKeys.some((k) => ['-i', '--install'].includes(k));
      const remove = optKeys.some((k) => ['-r', '-P', '--remove', '--purge'].includes(k));
      return { ...base, family: 'deb', op: install ? 'install' : remove ? 'remove' : 'other', packages: pos };
    }
    case 'zypper': {
      const { sub, rest } = subcommand(pos);
      const op: PackageOp = ['in', 'install'].includes(sub)
        ? 'install'
        : ['rm', 'remove'].includes(sub)
          ? 'remove'
          : ['dup', 'dist-upgrade'].includes(sub)
            ? 'upgrade-all'
            : ['up', 'update'].includes(sub)
              ? rest.length
                ? 'upgrade'
                : 'upgrade-all'
              : ['clean', 'cc'].includes(sub)
                ? 'clean'
                : 'other';
      return { ...base, family: 'zypp', op, packages: rest };
    }
    case 'pacman': {
      const flags = cmd.args
        .filter((a) => /^-[A-Za-z]+$/.test(a.value))
        .map((a) => a.value.slice(1))
        .join('');
      const longSync = optKeys.includes('--sync');
      const sync = flags.includes('S') || longSync;
      let op: PackageOp = 'other';
      if (flags.includes('R') || optKeys.includes('--remove')) op = 'remove';
      else if (sync && (flags.includes('c') || optKeys.includes('--clean'))) op = 'clean';
      else if (sync && (flags.includes('u') || optKeys.includes('--sysupgrade'))) op = 'upgrade-all';
      else if (sync || flags.includes('U')) op = 'install';
      const packages = op === 'upgrade-all' ? [] : pos;
      const eff: PackageEffect = { ...base, family: 'pacman', op, packages };
      if (op === 'upgrade-all' && pos.length > 0) {
        // `pacman -Syu foo` installs foo and upgrades everything.
        eff.packages = pos;
      }
      return eff;
    }
    case 'apk': {
      const { sub, rest } = subcommand(pos);
      const op: PackageOp =
        sub === 'add'
          ? 'install'
          : sub === 'del'
            ? 'remove'
            : sub === 'upgrade'
              ? 'upgrade-all'
              : sub === 'cache' && rest[0]?.value === 'clean'
                ? 'clean'
                : 'other';
      return { ...base, family: 'apk', op, packages: rest, noCache: opts.has('--no-cache') };
    }
    default:
      return undefined;
  }
}

const KERNEL_PACKAGES: Record<PackageFamily, RegExp> = {
  rpm: /^(kernel|kernel-core|kernel-modules(-core)?|kernel-(lt|ml|rt|cachyos[\w-]*|longterm|surface|fsync|bazzite|azure|hwe|mshv))(-[\d.].*)?$/,
  deb: /^(linux-image-[\w.+-]+|linux-(generic|virtual|lowlatency|aws|azure|gcp|kvm)(-hwe-[\d.]+)?)$/,
  pacman: /^linux(-lts|-zen|-hardened|-rt|-rt-lts|-cachyos[\w-]*)?$/,
  zypp: /^kernel-(default|longterm|rt|vanilla|kvmsmall)$/,
  apk: /^linux-(lts|virt|edge|stable)$/,
};

/** Kernel packages among the effect's packages. */
export function kernelPackages(p: PackageEffect): DocWord[] {
  const re = KERNEL_PACKAGES[p.family];
  return p.packages.filter((w) => re.test(w.value.replace(/^\/?.*\//, '').replace(/\*$/, '')));
}

/**
 * Where each family's kernel package puts the kernel image. bootc boots only
 * `/usr/lib/modules/$kver/vmlinuz`; a package that installs `/boot/vmlinuz-$kver` instead needs a copy.
 *
 * - rpm (Fedora, CentOS, RHEL `kernel-core`): `/usr/lib/modules/$kver/vmlinuz`; the /boot copy is made by
 *   kernel-install at install time (kernel.spec in Fedora's dist-git; bootc's own base images rely on it).
 * - Azure Linux (`tdnf install kernel`): the image is `/boot/vmlinuz-$kver`, and
 *   `/lib/modules/$kver/vmlinuz` is an absolute symlink to it (Azure Linux's SPECS/kernel/kernel.spec,
 *   "Symlink /lib/modules/uname/vmlinuz to boot partition"). bootc masks /boot, so the link must be
 *   replaced by the file.
 * - deb (Debian, Ubuntu `linux-image-*`): `/boot/vmlinuz-$kver` only (the package's file list; bootcrew's
 *   debian-bootc and ubuntu-bootc copy it into /usr/lib/modules).
 * - pacman (Arch `linux`, `-lts`, `-zen`, `-hardened`, CachyOS `linux-cachyos*`):
 *   `/usr/lib/modules/$kver/vmlinuz` (the PKGBUILDs' `install -Dm644 … "$modulesdir/vmlinuz"`); the
 *   /boot copy comes from mkinitcpio's pacman hook, which a bootc image does not need.
 * - zypp (openSUSE `kernel-default`): `/usr/lib/modules/$kver/vmlinuz` since the usr-merge of the
 *   kernel packages; /boot entries are made by scriptlets.
 * - apk (Alpine `linux-lts`, `linux-virt`): `/boot/vmlinuz-lts` (`-virt`) with modules in
 *   /lib/modules/$kver (the aports APKBUILDs).
 */
export type KernelLayout = 'modules' | 'boot';

export function kernelLayout(p: PackageEffect): KernelLayout {
  if (p.family === 'deb' || p.family === 'apk') return 'boot';
  if (p.manager === 'tdnf') return 'boot';
  return 'modules';
}

/**
 * The kernel package leaves files in /boot. On Arch that is mkinitcpio's pacman hook, which the
 * default `initramfs` provider brings along; installing dracut instead (what bootc images do) brings no
 * /boot hook.
 */
export function kernelFillsBoot(p: PackageEffect): boolean {
  if (p.family === 'pacman') return !p.packages.some((w) => w.value === 'dracut');
  return kernelLayout(p) === 'boot';
}

/** Families whose kernel packages install `/boot/vmlinuz-$kver` (see kernelLayout for the exceptions by manager). */
export const BOOT_KERNEL_FAMILIES: PackageFamily[] = ['deb', 'apk'];

export interface UserEffect {
  kind: 'user';
  what: 'user' | 'group';
  name: string;
  range: Range;
  home?: string;
  order: number;
}

const USERADD_VALUE = [
  '-c',
  '--comment',
  '-d',
  '--home-dir',
  '-e',
  '--expiredate',
  '-f',
  '--inactive',
  '-g',
  '--gid',
  '-G',
  '--groups',
  '-k',
  '--skel',
  '-K',
  '--key',
  '-p',
  '--password',
  '-s',
  '--shell',
  '-u',
  '--uid',
  '-b',
  '--base-dir',
  '-R',
  '--root',
  '-P',
  '--prefix',
  '-Z',
  '--selinux-user',
  '--home',
  '--ingroup',
  '--gecos',
  '--firstuid',
  '--lastuid',
  '--add_extra_groups',
  '--conf',
];

/** `useradd`/`adduser`/`groupadd`/`addgroup`: who is created. */
export function userEffect(cmd: DocCommand): UserEffect | undefined {
  const isUser = cmd.name === 'useradd' || cmd.name === 'adduser';
  const isGroup = cmd.name === 'groupadd' || cmd.name === 'addgroup';
  if (!isUser && !isGroup) return undefined;
  const { pos, opts } = positionals(cmd.args, USERADD_VALUE);
  // `adduser USER GROUP` (Debian) adds an existing user to a group.
  if (cmd.name === 'adduser' && pos.length >= 2) return undefined;
  const nameWord = pos[pos.length - 1];
  if (!nameWord) return undefined;
  const group = isGroup || opts.has('--group') || (opts.has('--system') && cmd.name === 'addgroup');
  let home: string | undefined;
  const createsHome =
    cmd.name === 'adduser' ? !opts.has('--no-create-home') && !opts.has('--system') : opts.has('-m') || opts.has('--create-home');
  if (isUser && createsHome) {
    const d = opts.get('-d') ?? opts.get('--home-dir') ?? opts.get('--home');
    home = d && d !== true ? d.value : `/home/${nameWord.value}`;
  }
  return { kind: 'user', what: group && !isUser ? 'group' : 'user', name: nameWord.value, range: nameWord.range, home, order: cmd.order };
}
