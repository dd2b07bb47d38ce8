import { isUnder } from '../model/paths';
import { realPath } from '../lint/helpers';

export interface PathInfo {
  title: string;
  detail: string;
}

/** What happens to a path on a booted bootc system, given the base's links into /var. */
export function describePath(p: string, links: Record<string, string>): PathInfo {
  const real = realPath(p, links);
  const q = real.path;
  const via = real.via ? ` (${real.via} → ${links[real.via]} on this base)` : '';
  if (isUnder(q, '/usr/etc'))
    return {
      title: 'ostree internal (/usr/etc)',
      detail: "ostree's pristine copy of /etc. Never write here: `bootc container lint` fails with etc-usretc.",
    };
  if (isUnder(q, '/var/run'))
    return { title: 'link to /run (tmpfs)', detail: '/var/run must stay a symbolic link to /run; content there is on a tmpfs at runtime.' };
  if (isUnder(q, '/var'))
    return {
      title: `machine state${via}`,
      detail:
        "Writable and persistent. The image's content here is unpacked only at first install and never updated by later images: declare it with tmpfiles.d or StateDirectory=.",
    };
  if (isUnder(q, '/etc'))
    return {
      title: 'merged configuration',
      detail:
        'Writable and persistent. On upgrade /etc is merged 3-way: files the machine never changed follow the new image; files changed locally keep the local version. Prefer drop-in directories (*.d) so both can coexist.',
    };
  if (isUnder(q, '/usr/lib/bootc/kargs.d'))
    return {
      title: 'bootc kernel arguments',
      detail:
        'Read-only image content. `*.toml` files with `kargs = [...]` (and optional `match-architectures`) are applied at install and diffed on upgrade.',
    };
  if (isUnder(q, '/usr/lib/modules'))
    return {
      title: 'kernel and initramfs',
      detail:
        'Read-only image content. bootc boots /usr/lib/modules/$kver/vmlinuz with initramfs.img beside it; exactly one kernel per image.',
    };
  if (isUnder(q, '/usr/lib/sysusers.d'))
    return {
      title: 'systemd-sysusers declarations',
      detail:
        'Read-only image content. Users and groups declared here are created at every boot, so upgrades add them even where /etc/passwd changed locally.',
    };
  if (isUnder(q, '/usr/lib/tmpfiles.d'))
    return {
      title: 'systemd-tmpfiles declarations',
      detail: 'Read-only image content. Declares directories, links and files in /var, /run and /etc that are created at every boot.',
    };
  if (isUnder(q, '/usr/lib/bootc/bound-images.d'))
    return {
      title: 'logically bound images',
      detail: 'Symlinks to .image/.container Quadlet files; bootc pulls those images at install and upgrade.',
    };
  if (isUnder(q, '/usr'))
    return { title: `read-only image content${via}`, detail: 'Replaced as a whole on every upgrade; read-only on the booted system.' };
  if (isUnder(q, '/run') || isUnder(q, '/tmp'))
    return {
      title: 'tmpfs at runtime',
      detail:
        'A tmpfs is mounted here at boot: anything the image puts here is hidden. Use RUN --mount=type=tmpfs for build scratch space.',
    };
  if (isUnder(q, '/boot'))
    return {
      title: 'managed by bootc',
      detail:
        'bootc copies the kernel and initramfs here from /usr/lib/modules and mounts the boot partition over it: image content here is hidden.',
    };
  if (isUnder(q, '/sysroot') || isUnder(q, '/ostree'))
    return {
      title: 'bootc/ostree internal',
      detail: 'The physical root and the ostree repository. Keep only the empty /sysroot and the /ostree → sysroot/ostree link.',
    };
  if (isUnder(q, '/proc') || isUnder(q, '/sys') || isUnder(q, '/dev'))
    return { title: 'API filesystem', detail: 'Mounted by the kernel at boot; nothing written during the build survives.' };
  if (isUnder(q, '/opt') || isUnder(q, '/usr/local'))
    return {
      title: 'read-only image content',
      detail:
        'A real directory on this base: shipped with the image, read-only at runtime. On Atomic desktops and Universal Blue it is a link into /var instead.',
    };
  return {
    title: 'read-only image content',
    detail: "Part of the image's read-only root; a top-level directory of its own cannot be written at runtime.",
  };
}
