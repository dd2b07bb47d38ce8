/** What the final image starts from, and the links its family makes into /var. */
export type BaseKind = 'bootc' | 'stage' | 'non-bootc' | 'scratch' | 'unknown';

export interface BaseFamily {
  id: string;
  title: string;
  kind: 'bootc' | 'non-bootc';
  /** Package family, to know where kernels land and what to clean up. */
  packages?: 'rpm' | 'deb' | 'pacman' | 'apk' | 'zypp';
  /** Top-level paths the family makes symlinks into /var (`/home` → `/var/home`). */
  varLinks: Record<string, string>;
  /** The base already ships a kernel in /usr/lib/modules. */
  hasKernel: boolean;
  docs?: string;
}

const OSTREE_LINKS = { '/home': '/var/home', '/root': '/var/roothome', '/srv': '/var/srv', '/mnt': '/var/mnt' };

/** Families from the catalogue (§8); the order matters: first match wins. */
export const FAMILIES: { match: RegExp; family: BaseFamily }[] = [
  {
    match: /^quay\.io\/centos-bootc\/(centos-bootc|centos-bootc-dev|fedora-bootc)$/,
    family: {
      id: 'centos-bootc',
      title: 'CentOS Stream bootc',
      kind: 'bootc',
      packages: 'rpm',
      varLinks: { ...OSTREE_LINKS },
      hasKernel: true,
      docs: 'https://gitlab.com/redhat/centos-stream/containers/bootc',
    },
  },
  {
    match: /^quay\.io\/(fedora|fedora-testing|fedoraci)\/fedora-bootc$/,
    family: {
      id: 'fedora-bootc',
      title: 'Fedora bootc',
      kind: 'bootc',
      packages: 'rpm',
      varLinks: { ...OSTREE_LINKS },
      hasKernel: true,
      docs: 'https://docs.fedoraproject.org/en-US/bootc/',
    },
  },
  {
    match: /^registry\.(redhat\.io|access\.redhat\.com)\/rhel\d+\/rhel-bootc$/,
    family: {
      id: 'rhel-bootc',
      title: 'RHEL image mode (rhel-bootc)',
      kind: 'bootc',
      packages: 'rpm',
      varLinks: { ...OSTREE_LINKS },
      hasKernel: true,
    },
  },
  {
    match: /^ghcr\.io\/(ublue-os|projectbluefin)\//,
    family: {
      id: 'ublue',
      title: 'Universal Blue',
      kind: 'bootc',
      packages: 'rpm',
      varLinks: { ...OSTREE_LINKS, '/opt': '/var/opt', '/usr/local': '/var/usrlocal' },
      hasKernel: true,
      docs: 'https://universal-blue.org/',
    },
  },
  {
    match: /^quay\.io\/(fedora\/fedora-(silverblue|kinoite|sericea|onyx|cosmic-atomic)|fedora-ostree-desktops\/[\w.-]+)$/,
    family: {
      id: 'fedora-atomic',
      title: 'Fedora Atomic desktop',
      kind: 'bootc',
      packages: 'rpm',
      varLinks: { ...OSTREE_LINKS, '/opt': '/var/opt', '/usr/local': '/var/usrlocal' },
      hasKernel: true,
    },
  },
  {
    match: /^quay\.io\/fedora\/fedora-coreos$/,
    family: {
      id: 'fedora-coreos',
      title: 'Fedora CoreOS',
      kind: 'bootc',
      packages: 'rpm',
      varLinks: { ...OSTREE_LINKS, '/usr/local': '/var/usrlocal' },
      hasKernel: true,
    },
  },
  {
    match: /^ghcr\.io\/bootcrew\//,
    family: {
      id: 'bootcrew',
      title: 'bootcrew community bootc',
      kind: 'bootc',
      varLinks: { ...OSTREE_LINKS, '/opt': '/var/opt', '/usr/local': '/var/usrlocal' },
      hasKernel: true,
      docs: 'https://github.com/bootcrew',
    },
  },
  // Ordinary distribution images: no kernel, no bootc, nothing linked into /var.
  { match: /(^|\/)(debian|library\/debian)$/, family: nonBootc('debian', 'Debian', 'deb') },
  { match: /(^|\/)(ubuntu|library\/ubuntu)$/, family: nonBootc('ubuntu', 'Ubuntu', 'deb') },
  { match: /(^|\/)(fedora|fedora-minimal)$/, family: nonBootc('fedora', 'Fedora (container image, not bootc)', 'rpm') },
  { match: /(^|\/)(centos|stream\d*|centos-stream)$/, family: nonBootc('centos', 'CentOS (container image, not bootc)', 'rpm') },
  { match: /(^|\/)(ubi\d+(-minimal|-micro|-init)?|ubi)$/, family: nonBootc('ubi', 'Red Hat UBI (container image, not bootc)', 'rpm') },
  { match: /(^|\/)(rockylinux|almalinux|oraclelinux|amazonlinux)$/, family: nonBootc('el', 'Enterprise Linux container image', 'rpm') },
  { match: /(^|\/)archlinux$/, family: nonBootc('arch', 'Arch Linux', 'pacman') },
  { match: /(^|\/)cachyos\/cachyos[\w-]*$/, family: nonBootc('cachyos', 'CachyOS', 'pacman') },
  { match: /(^|\/)(azurelinux|cbl-mariner)\/base\/core$/, family: nonBootc('azurelinux', 'Azure Linux', 'rpm') },
  { match: /(^|\/)alpine$/, family: nonBootc('alpine', 'Alpine Linux', 'apk') },
  { match: /(^|\/)(opensuse\/(tumbleweed|leap)|tumbleweed|leap)$/, family: nonBootc('opensuse', 'openSUSE', 'zypp') },
  {
    match: /(^|\/)(gentoo\/stage3|busybox|node|python|golang|rust|nginx|httpd)$/,
    family: nonBootc('app', 'application container image', undefined),
  },
];

function nonBootc(id: string, title: string, packages: BaseFamily['packages']): BaseFamily {
  return { id, title, kind: 'non-bootc', packages, varLinks: {}, hasKernel: false };
}

export interface ImageRef {
  /** Registry-qualified name without tag or digest, `quay.io/fedora/fedora-bootc`. */
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits `registry/name:tag@digest`; Docker Hub short names become `docker.io/library/x`. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0] ?? '';
  const hasRegistry = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = rest.toLowerCase();
  if (!hasRegistry) name = rest.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  return { name, tag, digest };
}

/** Classifies an image reference against the known families. */
export function classifyImage(ref: string): BaseFamily | undefined {
  if (ref.trim().toLowerCase() === 'scratch') return undefined;
  const { name } = parseImageRef(ref);
  const noHub = name.replace(/^docker\.io\/(library\/)?/, '');
  for (const { match, family } of FAMILIES) {
    if (match.test(name) || match.test(noHub)) return family;
  }
  return undefined;
}

/** Base images offered by completion after `FROM`, with the tags users pick most. */
export const KNOWN_BASES: { image: string; tags: string[]; family: string }[] = [
  { image: 'quay.io/fedora/fedora-bootc', tags: ['44', '43', '42', 'rawhide'], family: 'fedora-bootc' },
  { image: 'quay.io/centos-bootc/centos-bootc', tags: ['stream10', 'stream9'], family: 'centos-bootc' },
  { image: 'registry.redhat.io/rhel10/rhel-bootc', tags: ['10.2', '10.1', '10.0', 'latest'], family: 'rhel-bootc' },
  { image: 'registry.redhat.io/rhel9/rhel-bootc', tags: ['9.6', '9.5', '9.4', 'latest'], family: 'rhel-bootc' },
  { image: 'ghcr.io/ublue-os/base-main', tags: ['44', '43', '42', 'latest'], family: 'ublue' },
  { image: 'ghcr.io/ublue-os/bazzite', tags: ['stable', 'testing'], family: 'ublue' },
  { image: 'ghcr.io/ublue-os/bluefin', tags: ['stable'], family: 'ublue' },
  { image: 'ghcr.io/ublue-os/aurora', tags: ['stable'], family: 'ublue' },
  { image: 'ghcr.io/ublue-os/ucore', tags: ['stable'], family: 'ublue' },
  { image: 'quay.io/fedora/fedora-silverblue', tags: ['44', '43', '42'], family: 'fedora-atomic' },
  { image: 'quay.io/fedora/fedora-kinoite', tags: ['44', '43', '42'], family: 'fedora-atomic' },
  { image: 'quay.io/fedora/fedora-coreos', tags: ['stable', 'testing', 'next'], family: 'fedora-coreos' },
  { image: 'ghcr.io/bootcrew/debian-bootc', tags: ['latest'], family: 'bootcrew' },
  { image: 'ghcr.io/bootcrew/arch-bootc', tags: ['latest'], family: 'bootcrew' },
  { image: 'ghcr.io/bootcrew/ubuntu-bootc', tags: ['latest'], family: 'bootcrew' },
  { image: 'docker.io/library/debian', tags: ['bookworm', 'trixie', 'unstable'], family: 'debian' },
];
