import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkKargs } from '../rules/kargs-syntax';

/**
 * A port of `bootc container lint` (bootc v1.16.9, crates/lib/src/lints.rs) that runs on a root
 * filesystem directory, so images without bootc (a custom base in progress) are checked too.
 * Names, types, root-type gating and messages follow bootc.
 */
export type LintType = 'fatal' | 'warning';
export type RootType = 'running' | 'alternative';

export interface ImageLintMeta {
  name: string;
  type: LintType;
  /** Only in this mode (bootc: Running = `--rootfs /`, Alternative = another root). */
  rootType?: RootType;
  description: string;
  /** How to fix it in a Containerfile. */
  hint?: string;
}

export interface ImageLintResult {
  lint: string;
  type: LintType;
  /** First line as bootc prints it after `NAME: `. */
  message: string;
  /** Listed items, as bootc prints them (paths, tmpfiles lines, user names). */
  items: string[];
  /** Further sections (`Found non-directory/non-symlink files in /var:`). */
  sections?: { header: string; items: string[] }[];
  /** Absolute paths in the image this finding is about, for attribution. */
  paths: string[];
  /** User and group names (sysusers), attributed through /etc/passwd and /etc/group. */
  users?: { kind: 'user' | 'group'; name: string }[];
  /** bootc reports this one as "Unexpected runtime error" rather than `Failed lint:`. */
  runtimeError?: boolean;
}

export const IMAGE_LINTS: ImageLintMeta[] = [
  {
    name: 'api-base-directories',
    type: 'fatal',
    description: 'Verify that expected base API directories exist.',
    hint: 'Never remove `/var`, `/tmp`, `/run`, `/proc`, `/sys` or `/dev`, nor replace them with links; empty them (`rm -rf /tmp/*`) instead.',
  },
  {
    name: 'baseimage-composefs',
    type: 'warning',
    description: 'Check that composefs is enabled for ostree.',
    hint: 'Ship `/usr/lib/ostree/prepare-root.conf` with `[composefs]` `enabled = true`, and regenerate the initramfs after changing it.',
  },
  {
    name: 'baseimage-root',
    type: 'fatal',
    description: 'Check that expected files are present in the root of the filesystem, such as /sysroot and the /ostree link.',
    hint: 'A custom base needs `mkdir -p /sysroot && ln -s sysroot/ostree /ostree`.',
  },
  {
    name: 'bootc-kargs',
    type: 'fatal',
    description: 'Verify syntax of /usr/lib/bootc/kargs.d.',
    hint: 'Files in `/usr/lib/bootc/kargs.d/*.toml` may only have `kargs = ["…"]` and `match-architectures = ["x86_64", …]` (the typing-time rule `kargs-syntax` points at the key).',
  },
  {
    name: 'buildah-injected',
    type: 'warning',
    rootType: 'alternative',
    description: 'Check for an invalid /etc/hostname or /etc/resolv.conf that may have been injected by a container build system.',
    hint: 'Do not leave empty `/etc/hostname` or `/etc/resolv.conf`: the builder bind-mounts them during RUN. COPY a real file or configure them at runtime.',
  },
  {
    name: 'etc-usretc',
    type: 'fatal',
    description: 'Verify that only one of /etc or /usr/etc exist.',
    hint: 'Write configuration to `/etc` (or `/usr/lib`), never to `/usr/etc`.',
  },
  {
    name: 'kernel',
    type: 'fatal',
    description: 'Check for multiple kernels, i.e. multiple directories of the form /usr/lib/modules/$kver.',
    hint: 'Keep exactly one `/usr/lib/modules/$kver` with a `vmlinuz`: remove the old kernel packages and their module directory when you swap kernels.',
  },
  {
    name: 'nonempty-boot',
    type: 'warning',
    description: 'The /boot directory should be present, but empty.',
    hint: 'Keep `/boot` present and empty: copy the kernel into `/usr/lib/modules/$kver/` and `rm -rf /boot/*` in the same RUN, or use `RUN --mount=type=tmpfs,target=/boot`.',
  },
  {
    name: 'nonempty-run-tmp',
    type: 'warning',
    description: 'The /run and /tmp directories should be empty in container images.',
    hint: 'Use `RUN --mount=type=tmpfs,target=/run --mount=type=tmpfs,target=/tmp` on build steps, or remove the files in the same RUN.',
  },
  {
    name: 'sysusers',
    type: 'warning',
    description:
      'Check for users in /etc/passwd and groups in /etc/group that do not have corresponding systemd sysusers.d entries in /usr/lib/sysusers.d.',
    hint: 'Declare users and groups in `/usr/lib/sysusers.d/*.conf` (`u name - "description" /var/lib/name -`).',
  },
  {
    name: 'utf8',
    type: 'fatal',
    description: 'Check for non-UTF8 filenames.',
    hint: 'Rename files whose names are not valid UTF-8; the ostree backend cannot store them.',
  },
  {
    name: 'var-log',
    type: 'warning',
    description: 'Check for non-empty regular files in /var/log.',
    hint: 'Remove logs in the same RUN (`rm -rf /var/log/*`) or keep them out with `RUN --mount=type=cache,target=/var/log`.',
  },
  {
    name: 'var-run',
    type: 'fatal',
    description: 'Check for /var/run being a physical directory; this is always a bug.',
    hint: 'Keep `/var/run` a link to `../run`: `rm -rf /var/run && ln -s ../run /var/run`.',
  },
  {
    name: 'var-tmpfiles',
    type: 'warning',
    rootType: 'running',
    description: 'Check for content in /var that does not have corresponding systemd tmpfiles.d entries.',
    hint: 'Keep `/var` empty in the image; declare directories and links with `/usr/lib/tmpfiles.d/*.conf` or `StateDirectory=`, and ship data under `/usr/share`.',
  },
];

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function stat(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function list(p: string): string[] {
  try {
    return fs.readdirSync(p).sort();
  } catch {
    return [];
  }
}

/** Shell-safe paths print as-is; others are single-quoted, like bootc's PathQuotedDisplay. */
export function quotePath(p: string): string {
  return /^[\w/.,=:-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

type Check = (root: string) => Omit<ImageLintResult, 'lint' | 'type'> | undefined;

const varRun: Check = (root) => {
  const st = lstat(path.join(root, 'var/run'));
  if (!st || st.isSymbolicLink()) return undefined;
  return { message: 'Not a symlink: var/run', items: [], paths: ['/var/run'] };
};

const kernel: Check = (root) => {
  const dir = path.join(root, 'usr/lib/modules');
  const kernels = list(dir).filter((k) => stat(path.join(dir, k, 'vmlinuz'))?.isFile());
  if (kernels.length <= 1) return undefined;
  return {
    message: 'Found multiple subdirectories in usr/lib/modules',
    items: kernels,
    paths: kernels.map((k) => `/usr/lib/modules/${k}`),
    runtimeError: true,
  };
};

const bootcKargs: Check = (root) => {
  const dir = path.join(root, 'usr/lib/bootc/kargs.d');
  const st = lstat(dir);
  if (!st) return undefined;
  if (!st.isDirectory())
    return { message: 'Reading usr/lib/bootc/kargs.d', items: [], paths: ['/usr/lib/bootc/kargs.d'], runtimeError: true };
  for (const f of list(dir).filter((n) => n.endsWith('.toml'))) {
    const text = readText(path.join(dir, f));
    const problems = text === undefined ? [{ message: 'unreadable' }] : checkKargs(text);
    if (problems.length > 0) {
      return { message: `Parsing ${f}`, items: problems.map((p) => p.message), paths: [`/usr/lib/bootc/kargs.d/${f}`], runtimeError: true };
    }
  }
  return undefined;
};

const etcUsretc: Check = (root) => {
  if (!lstat(path.join(root, 'etc')) || !lstat(path.join(root, 'usr/etc'))) return undefined;
  return {
    message: 'Found /usr/etc - this is a bootc implementation detail and not supported to use in containers',
    items: [],
    paths: ['/usr/etc'],
  };
};

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
function isUtf8(b: Buffer): boolean {
  try {
    utf8Decoder.decode(b);
    return true;
  } catch {
    return false;
  }
}

function escapeBytes(b: Buffer): string {
  let s = '';
  for (const byte of b)
    s +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return s;
}

/** One walk of the whole tree (utf8 is bootc's only recursive lint); stops at the first error. */
export function walkUtf8(root: string): Omit<ImageLintResult, 'lint' | 'type'> | undefined {
  const rootDev = lstat(root)?.dev;
  const stack: Buffer[] = [Buffer.from('')];
  while (stack.length > 0) {
    const rel = stack.pop() ?? Buffer.from('');
    const abs = Buffer.concat([Buffer.from(root), rel]);
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const e of entries) {
      const childRel = Buffer.concat([rel, Buffer.from('/'), e.name]);
      const display = rel.length === 0 ? '/' : rel.toString('utf8');
      if (!isUtf8(e.name)) {
        return {
          message: `${display}: Found non-utf8 filename "${escapeBytes(e.name)}"`,
          items: [],
          paths: [`${display === '/' ? '' : display}/${e.name.toString('latin1')}`],
        };
      }
      if (e.isSymbolicLink()) {
        try {
          const target = fs.readlinkSync(Buffer.concat([Buffer.from(root), childRel]), { encoding: 'buffer' });
          if (!isUtf8(target))
            return {
              message: `${childRel.toString('utf8')}: Found non-utf8 symlink target`,
              items: [],
              paths: [childRel.toString('utf8')],
            };
        } catch {
          // unreadable link: nothing to check
        }
      } else if (e.isDirectory()) {
        // Like bootc, do not cross into other filesystems mounted inside the root.
        const st = lstat(Buffer.concat([Buffer.from(root), childRel]).toString('utf8'));
        if (rootDev !== undefined && st && st.dev !== rootDev) continue;
        stack.push(childRel);
      }
    }
  }
  return undefined;
}

function checkBaseimageRoot(root: string, prefix: string): string | undefined {
  const sysroot = lstat(path.join(root, 'sysroot'));
  if (!sysroot) return 'Missing /sysroot';
  if (!sysroot.isDirectory()) return 'Expected a directory for /sysroot';
  const link = lstat(path.join(root, 'ostree'));
  if (!link) return 'Missing ostree -> sysroot/ostree link';
  if (!link.isSymbolicLink()) return '/ostree should be a symlink';
  const target = fs.readlinkSync(path.join(root, 'ostree'));
  if (target !== 'sysroot/ostree') return `Expected /ostree -> sysroot/ostree, not "${target}"`;
  void prefix;
  return undefined;
}

const baseimageRoot: Check = (root) => {
  for (const r of [root, path.join(root, 'usr/share/doc/bootc/baseimage/base')]) {
    if (r !== root && !lstat(r)?.isDirectory()) continue;
    const msg = checkBaseimageRoot(r, r === root ? '' : '/usr/share/doc/bootc/baseimage/base');
    if (msg) return { message: msg, items: [], paths: [msg.includes('sysroot') && !msg.includes('ostree') ? '/sysroot' : '/ostree'] };
  }
  return undefined;
};

const varLog: Check = (root) => {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const n of list(path.join(root, rel))) {
      const r = `${rel}/${n}`;
      const st = lstat(path.join(root, r));
      if (!st) continue;
      if (st.isDirectory()) walk(r);
      else if (st.isFile() && st.size > 0) found.push(`/${r}`);
    }
  };
  if (lstat(path.join(root, 'var/log'))?.isDirectory()) walk('var/log');
  if (found.length === 0) return undefined;
  return { message: 'Found non-empty logfiles:', items: found.map(quotePath), paths: found };
};

const nonemptyBoot: Check = (root) => {
  const st = lstat(path.join(root, 'boot'));
  if (!st) return { message: 'Missing /boot directory', items: [], paths: ['/boot'] };
  const entries = list(path.join(root, 'boot')).filter((n) => n !== 'EFI');
  if (entries.length === 0) return undefined;
  return { message: 'Found non-empty /boot:', items: entries.map(quotePath), paths: entries.map((e) => `/boot/${e}`) };
};

const buildahInjected: Check = (root) => {
  for (const f of ['etc/hostname', 'etc/resolv.conf']) {
    const st = lstat(path.join(root, f));
    if (st?.isFile() && st.size === 0)
      return { message: `/${f} is an empty file; this may have been synthesized by a container runtime.`, items: [], paths: [`/${f}`] };
  }
  return undefined;
};

/** Reads a GLib key file (prepare-root.conf) into section → key → value. */
export function parseKeyFile(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) {
      section = out.get(s[1] ?? '') ?? new Map();
      out.set(s[1] ?? '', section);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && section) section.set(kv[1] ?? '', kv[2] ?? '');
  }
  return out;
}

function composefsMessage(root: string): string | undefined {
  const file = ['etc/ostree/prepare-root.conf', 'usr/lib/ostree/prepare-root.conf']
    .map((f) => readText(path.join(root, f)))
    .find((t) => t !== undefined);
  if (file === undefined) return 'ostree/prepare-root.conf is not present to enable composefs';
  const kf = parseKeyFile(file);
  if (kf.get('root')?.get('transient')?.toLowerCase() === 'true') return undefined;
  const enabled = kf.get('composefs')?.get('enabled')?.toLowerCase();
  if (enabled && ['yes', 'true', '1', 'maybe', 'signed', 'verity'].includes(enabled)) return undefined;
  return 'ostree/prepare-root.conf does not have composefs enabled';
}

const baseimageComposefs: Check = (root) => {
  for (const r of [root, path.join(root, 'usr/share/doc/bootc/baseimage/base')]) {
    if (r !== root && !lstat(r)?.isDirectory()) continue;
    const msg = composefsMessage(r);
    if (msg) return { message: msg, items: [], paths: ['/usr/lib/ostree/prepare-root.conf'] };
  }
  return undefined;
};

/** Users and groups in passwd/group format. */
function names(text: string | undefined): { name: string; id: number }[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0])
    .map((f) => ({ name: f[0] ?? '', id: Number(f[2]) }));
}

function sysusersDeclared(root: string): { users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  const dir = path.join(root, 'usr/lib/sysusers.d');
  for (const f of list(dir).filter((n) => n.endsWith('.conf'))) {
    for (const line of (readText(path.join(dir, f)) ?? '').split('\n')) {
      const m = /^\s*([ug])!?\s+(\S+)/.exec(line);
      if (!m) continue;
      if (m[1] === 'u') {
        users.add(m[2] ?? '');
        groups.add(m[2] ?? '');
      } else groups.add(m[2] ?? '');
    }
  }
  return { users, groups };
}

const sysusers: Check = (root) => {
  const decl = sysusersDeclared(root);
  const users = names(readText(path.join(root, 'etc/passwd'))).filter((u) => !decl.users.has(u.name));
  const groups = names(readText(path.join(root, 'etc/group'))).filter((g) => !decl.groups.has(g.name));
  if (users.length === 0 && groups.length === 0) return undefined;
  const sections: { header: string; items: string[] }[] = [];
  let message = '';
  let items: string[] = [];
  if (users.length) {
    message = 'Found /etc/passwd entry without corresponding systemd sysusers.d:';
    items = users.map((u) => u.name);
  }
  if (groups.length) {
    const header = 'Found /etc/group entry without corresponding systemd sysusers.d:';
    if (!message) {
      message = header;
      items = groups.map((g) => g.name);
    } else sections.push({ header, items: groups.map((g) => g.name) });
  }
  return {
    message,
    items,
    sections,
    paths: [],
    users: [
      ...users.map((u) => ({ kind: 'user' as const, name: u.name })),
      ...groups.map((g) => ({ kind: 'group' as const, name: g.name })),
    ],
  };
};

const apiBaseDirectories: Check = (root) => {
  for (const d of ['dev', 'proc', 'sys', 'run', 'tmp', 'var']) {
    const st = lstat(path.join(root, d));
    if (!st) return { message: `Missing API filesystem base directory: /${d}`, items: [], paths: [`/${d}`] };
    if (!st.isDirectory()) return { message: `Expected directory for API filesystem base directory: /${d}`, items: [], paths: [`/${d}`] };
  }
  return undefined;
};

const nonemptyRunTmp: Check = (root) => {
  const found: string[] = [];
  const rootDev = lstat(root)?.dev;
  const walk = (rel: string): void => {
    for (const n of list(path.join(root, rel))) {
      const r = `${rel}/${n}`;
      const st = lstat(path.join(root, r));
      if (!st) continue;
      if (rootDev !== undefined && st.dev !== rootDev) continue;
      found.push(`/${r}`);
      if (st.isDirectory()) walk(r);
    }
  };
  for (const d of ['run', 'tmp']) {
    const st = lstat(path.join(root, d));
    if (st?.isDirectory() && (rootDev === undefined || st.dev === rootDev)) walk(d);
  }
  // podman's DNS stub and the parents that hold nothing else (bootc >= 1.14).
  const stub = '/run/systemd/resolve/stub-resolv.conf';
  const ignore = new Set<string>();
  if (found.includes(stub)) {
    ignore.add(stub);
    for (let p = path.posix.dirname(stub); p !== '/run'; p = path.posix.dirname(p)) {
      const children = found.filter((f) => path.posix.dirname(f) === p && !ignore.has(f));
      if (children.length === 0) ignore.add(p);
      else break;
    }
  }
  const left = found.filter((f) => !ignore.has(f));
  if (left.length === 0) return undefined;
  return { message: 'Found content in runtime-only directories (/run, /tmp):', items: left.map(quotePath), paths: left };
};

/** Paths tmpfiles.d declares, canonicalised through the image's symlinks (`/root` → `/var/roothome`). */
function tmpfilesDeclared(root: string): Set<string> {
  const out = new Set<string>();
  for (const dir of ['usr/lib/tmpfiles.d', 'etc/tmpfiles.d']) {
    for (const f of list(path.join(root, dir)).filter((n) => n.endsWith('.conf'))) {
      for (const line of (readText(path.join(root, dir, f)) ?? '').split('\n')) {
        const m = /^\s*[a-zA-Z][+!~^=-]*\s+(\/\S+)/.exec(line);
        if (!m?.[1]) continue;
        const p = m[1].replace(/\/+$/, '');
        out.add(p);
        out.add(canonical(root, p));
      }
    }
  }
  return out;
}

/** Resolves symlinks of an absolute path inside the image root (never escaping it). */
function canonical(root: string, p: string): string {
  const parts = p.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    const next = `${cur}/${parts[i]}`;
    const st = lstat(path.join(root, next));
    if (st?.isSymbolicLink()) {
      const t = fs.readlinkSync(path.join(root, next));
      cur = path.posix.normalize(t.startsWith('/') ? t : `${cur}/${t}`).replace(/\/+$/, '');
    } else cur = next;
  }
  return cur || '/';
}

function idNames(root: string, file: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const f of [`etc/${file}`, `usr/lib/${file}`])
    for (const e of names(readText(path.join(root, f)))) if (!m.has(e.id)) m.set(e.id, e.name);
  return m;
}

const varTmpfiles: Check = (root) => {
  const declared = tmpfilesDeclared(root);
  const users = idNames(root, 'passwd');
  const groups = idNames(root, 'group');
  const missing: string[] = [];
  const paths: string[] = [];
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const n of list(path.join(root, rel))) {
      const r = `${rel}/${n}`;
      const abs = `/${r}`;
      const st = lstat(path.join(root, r));
      if (!st) continue;
      if (st.isDirectory()) {
        if (!declared.has(abs)) {
          missing.push(
            `d ${quotePath(abs)} ${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${users.get(st.uid) ?? st.uid} ${groups.get(st.gid) ?? st.gid} - -`,
          );
          paths.push(abs);
        }
        walk(r);
      } else if (st.isSymbolicLink()) {
        if (!declared.has(abs)) {
          missing.push(`L ${quotePath(abs)} - - - - ${fs.readlinkSync(path.join(root, r))}`);
          paths.push(abs);
        }
      } else {
        files.push(r);
        paths.push(abs);
      }
    }
  };
  if (lstat(path.join(root, 'var'))?.isDirectory()) walk('var');
  if (missing.length === 0 && files.length === 0) return undefined;
  const sections =
    missing.length && files.length ? [{ header: 'Found non-directory/non-symlink files in /var:', items: files.map(quotePath) }] : [];
  if (missing.length) return { message: 'Found content in /var missing systemd tmpfiles.d entries:', items: missing, sections, paths };
  return { message: 'Found non-directory/non-symlink files in /var:', items: files.map(quotePath), paths };
};

const CHECKS: Record<string, Check> = {
  'api-base-directories': apiBaseDirectories,
  'baseimage-composefs': baseimageComposefs,
  'baseimage-root': baseimageRoot,
  'bootc-kargs': bootcKargs,
  'buildah-injected': buildahInjected,
  'etc-usretc': etcUsretc,
  kernel,
  'nonempty-boot': nonemptyBoot,
  'nonempty-run-tmp': nonemptyRunTmp,
  sysusers,
  utf8: walkUtf8,
  'var-log': varLog,
  'var-run': varRun,
  'var-tmpfiles': varTmpfiles,
};

export interface PortOptions {
  /** Lints of these modes run; bootc's in-build `RUN bootc container lint` is `running`. */
  modes?: RootType[];
  skip?: string[];
}

/**
 * Runs the ported lints on a root filesystem. The default reports what `RUN bootc container lint`
 * at the end of a build reports (Running: var-tmpfiles runs) and also buildah-injected, because
 * the image file is what ships.
 */
export function lintRootfs(root: string, opts: PortOptions = {}): { results: ImageLintResult[]; passed: number; skipped: number } {
  const modes = opts.modes ?? ['running', 'alternative'];
  const skip = new Set(opts.skip ?? []);
  const results: ImageLintResult[] = [];
  let passed = 0;
  let skipped = 0;
  for (const meta of IMAGE_LINTS) {
    if (skip.has(meta.name) || (meta.rootType && !modes.includes(meta.rootType))) {
      skipped++;
      continue;
    }
    const check = CHECKS[meta.name];
    const r = check ? check(root) : undefined;
    if (r) results.push({ lint: meta.name, type: meta.type, ...r });
    else passed++;
  }
  return { results, passed, skipped };
}

/** Prints results the way bootc does, for logs and the CLI. */
export function formatLikeBootc(results: ImageLintResult[], passed: number, skipped: number): string {
  const out: string[] = [];
  for (const r of results) {
    if (r.runtimeError) {
      out.push(`error: Linting: Unexpected runtime error running lint ${r.lint}: ${r.message}`);
      continue;
    }
    const prefix = r.type === 'fatal' ? 'Failed lint' : 'Lint warning';
    out.push(`${prefix}: ${r.lint}: ${r.message}`);
    for (const i of r.items) out.push(`  ${i}`);
    for (const s of r.sections ?? []) {
      out.push(`${s.header}`);
      for (const i of s.items) out.push(`  ${i}`);
    }
    if (r.items.length || r.sections?.length) out.push('');
  }
  out.push(`Checks passed: ${passed}`);
  if (skipped) out.push(`Checks skipped: ${skipped}`);
  const warnings = results.filter((r) => r.type === 'warning').length;
  if (warnings) out.push(`Warnings: ${warnings}`);
  return out.join('\n') + '\n';
}
