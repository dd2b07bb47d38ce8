import type { Range } from 'vscode-languageserver-types';
import { resolvePath } from './paths';

/** A shell word mapped back into the Containerfile. */
export interface DocWord {
  value: string;
  range: Range;
  dynamic: boolean;
}

/** A simple command of a RUN, with document ranges. */
export interface DocCommand {
  name: string;
  nameWord: DocWord;
  args: DocWord[];
  range: Range;
  order: number;
  swallowed: boolean;
  piped: boolean;
  /** The shell condition the command runs under (see SimpleCommand.guard). */
  guard?: string;
  redirects: { op: string; target?: DocWord }[];
  heredocs: { text: string; range: Range; target?: DocWord }[];
  /** Subshell path, see SimpleCommand.scope. */
  scope: string;
}

export type WriteVia =
  | 'redirect'
  | 'tee'
  | 'mkdir'
  | 'touch'
  | 'cp'
  | 'mv'
  | 'install'
  | 'ln'
  | 'sed'
  | 'heredoc'
  | 'download'
  | 'extract'
  | 'useradd'
  | 'copy'
  | 'add'
  | 'workdir'
  | 'dracut'
  | 'grub'
  | 'clone'
  | 'build';

export interface WriteEffect {
  kind: 'write';
  path: string;
  range: Range;
  via: WriteVia;
  order: number;
  /** File content when the file text is in the Containerfile (heredocs). */
  content?: string;
  contentRange?: Range;
  /** `ln -s TARGET path`. */
  linkTarget?: string;
  /** For copies: the source words, so rules can read the build context. */
  sources?: DocWord[];
  /** Destination ends with `/` or several sources: the path is a directory receiving files. */
  intoDirectory?: boolean;
  /** COPY --from: the content is not from the build context. */
  fromStage?: string;
}

export interface RemoveEffect {
  kind: 'remove';
  path: string;
  range: Range;
  recursive: boolean;
  order: number;
}

const OPTS_WITH_VALUE: Record<string, string[]> = {
  cp: ['-t', '--target-directory', '-S', '--suffix'],
  mv: ['-t', '--target-directory', '-S', '--suffix'],
  install: ['-t', '--target-directory', '-m', '--mode', '-o', '--owner', '-g', '--group', '-S', '--suffix'],
  ln: ['-t', '--target-directory', '-S', '--suffix'],
  mkdir: ['-m', '--mode', '-Z'],
  touch: ['-d', '--date', '-r', '--reference', '-t'],
  tee: [],
  rm: [],
  sed: ['-e', '--expression', '-f', '--file', '-l', '--line-length', '-s'],
};

/** Splits argv into options and positionals; `--` ends options. */
export function positionals(args: DocWord[], withValue: string[] = []): { pos: DocWord[]; opts: Map<string, DocWord | true> } {
  const pos: DocWord[] = [];
  const opts = new Map<string, DocWord | true>();
  let done = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a) continue;
    if (done || !a.value.startsWith('-') || a.value === '-') {
      pos.push(a);
      continue;
    }
    if (a.value === '--') {
      done = true;
      continue;
    }
    const eq = a.value.indexOf('=');
    if (a.value.startsWith('--') && eq > 0) {
      opts.set(a.value.slice(0, eq), { ...a, value: a.value.slice(eq + 1) });
      continue;
    }
    if (withValue.includes(a.value)) {
      const v = args[i + 1];
      opts.set(a.value, v ?? true);
      i++;
      continue;
    }
    if (!a.value.startsWith('--')) {
      // Bundled short options: `-rf`, `-pv`. The first one that takes a value ends the bundle: the rest
      // of the word is its value (`-m0755`), or else the next word is (`curl -fsSLo FILE`, `tar -xzf A`).
      const bundle = a.value.slice(1);
      for (let k = 0; k < bundle.length; k++) {
        const name = `-${bundle[k] ?? ''}`;
        if (!withValue.includes(name)) {
          opts.set(name, true);
          continue;
        }
        if (k + 1 < bundle.length) {
          opts.set(name, { ...a, value: bundle.slice(k + 1) });
        } else {
          opts.set(name, args[i + 1] ?? true);
          i++;
        }
        break;
      }
      continue;
    }
    opts.set(a.value, true);
  }
  return { pos, opts };
}

function word(v: DocWord | true | undefined): DocWord | undefined {
  return v === true ? undefined : v;
}

function cEscapes(s: string): string {
  return s.replace(/\\(n|t|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

/** What `echo`/`printf` with static arguments print, so `printf '...' > file` has known content. */
export function printedText(cmd: DocCommand): string | undefined {
  if (cmd.args.some((a) => a.dynamic)) return undefined;
  const args = cmd.args.map((a) => a.value);
  if (cmd.name === 'echo') {
    let i = 0;
    let escapes = false;
    let newline = true;
    for (; i < args.length && /^-[neE]+$/.test(args[i] ?? ''); i++) {
      if (args[i]?.includes('e')) escapes = true;
      if (args[i]?.includes('n')) newline = false;
    }
    const text = args.slice(i).join(' ');
    return (escapes ? cEscapes(text) : text) + (newline ? '\n' : '');
  }
  if (cmd.name === 'printf') {
    const [fmt, ...rest] = args;
    if (fmt === undefined) return undefined;
    let n = 0;
    return cEscapes(fmt.replace(/%[sd]/g, () => rest[n++] ?? ''));
  }
  return undefined;
}

const DEVICE_LIKE = /^\/dev\/(null|stdout|stderr|tty|fd\/|zero|full|console)/;

/** The commands whose arguments name files they write or remove (the cases below). */
const WRITERS = new Set([
  'tee',
  'mkdir',
  'touch',
  'cp',
  'mv',
  'ln',
  'install',
  'sed',
  'rm',
  'rmdir',
  'unlink',
  'curl',
  'wget',
  'tar',
  'dracut',
  'grub2-mkconfig',
  'grub-mkconfig',
  'unzip',
  'git',
  'make',
]);

/** Paths a command writes or removes, resolved against the working directory. */
export function fileEffects(cmd: DocCommand, cwd: string): (WriteEffect | RemoveEffect)[] {
  const out: (WriteEffect | RemoveEffect)[] = [];
  const write = (w: DocWord, via: WriteVia, extra: Partial<WriteEffect> = {}): void => {
    if (!w.value || DEVICE_LIKE.test(w.value)) return;
    out.push({ kind: 'write', path: resolvePath(w.value, cwd), range: w.range, via, order: cmd.order, ...extra });
  };
  // Only redirects need what was printed and where heredocs go; most commands have neither.
  const printed = cmd.redirects.length ? printedText(cmd) : undefined;
  const heredocTargets = new Set(
    cmd.redirects.length ? cmd.heredocs.map((h) => h.target && `${h.target.range.start.line}:${h.target.range.start.character}`) : [],
  );
  for (const r of cmd.redirects) {
    if (r.target && heredocTargets.has(`${r.target.range.start.line}:${r.target.range.start.character}`)) continue;
    if (r.target && /^(>|>>|&>|&>>|>\||[0-9]>|[0-9]>>)$/.test(r.op) && !/^&?\d+$/.test(r.target.value))
      write(r.target, 'redirect', printed !== undefined ? { content: printed } : {});
  }
  for (const h of cmd.heredocs) {
    if (h.target) write(h.target, 'heredoc', { content: h.text, contentRange: h.range });
  }
  // A new case below needs its name in WRITERS.
  if (!WRITERS.has(cmd.name)) return out;
  const { pos, opts } = positionals(cmd.args, OPTS_WITH_VALUE[cmd.name] ?? []);
  switch (cmd.name) {
    case 'tee':
      for (const p of pos) write(p, 'tee', { content: cmd.heredocs[0]?.text });
      break;
    case 'mkdir':
    case 'touch':
      for (const p of pos) write(p, cmd.name);
      break;
    case 'cp':
    case 'mv':
    case 'ln':
    case 'install': {
      const tdir = word(opts.get('-t') ?? opts.get('--target-directory'));
      if (cmd.name === 'install' && opts.has('-d')) {
        for (const p of pos) write(p, 'install');
        break;
      }
      if (cmd.name === 'mv' || cmd.name === 'cp') {
        // The sources of a move disappear; of a copy, nothing.
        if (cmd.name === 'mv') {
          const sources = tdir ? pos : pos.slice(0, -1);
          for (const s of sources)
            out.push({ kind: 'remove', path: resolvePath(s.value, cwd), range: s.range, recursive: true, order: cmd.order });
        }
      }
      if (tdir) {
        write(tdir, cmd.name, { intoDirectory: true, sources: pos });
      } else if (pos.length >= 2) {
        const target = pos[pos.length - 1];
        if (target) {
          const extra: Partial<WriteEffect> = { sources: pos.slice(0, -1), intoDirectory: pos.length > 2 || target.value.endsWith('/') };
          if (cmd.name === 'ln') extra.linkTarget = pos[0]?.value;
          write(target, cmd.name, extra);
        }
      }
      break;
    }
    case 'sed':
      if (opts.has('-i') || opts.has('--in-place') || [...opts.keys()].some((k) => k.startsWith('--in-place'))) {
        const files = opts.has('-e') || opts.has('--expression') || opts.has('-f') ? pos : pos.slice(1);
        for (const f of files) write(f, 'sed');
      }
      break;
    case 'rm':
    case 'rmdir':
    case 'unlink':
      for (const p of pos) {
        out.push({
          kind: 'remove',
          path: resolvePath(p.value, cwd),
          range: p.range,
          recursive: opts.has('-r') || opts.has('-R') || opts.has('--recursive'),
          order: cmd.order,
        });
      }
      break;
    case 'curl': {
      const o = word(opts.get('-o') ?? opts.get('--output'));
      if (o) write(o, 'download');
      break;
    }
    case 'wget': {
      const o = word(opts.get('-O') ?? opts.get('--output-document'));
      if (o) write(o, 'download');
      break;
    }
    case 'tar': {
      const c = word(opts.get('-C') ?? opts.get('--directory'));
      const f = word(opts.get('-f') ?? opts.get('--file'));
      if (c) write(c, 'extract', { intoDirectory: true, sources: f ? [f] : [] });
      break;
    }
    case 'dracut': {
      if (opts.has('--regenerate-all') || opts.has('--print-cmdline') || opts.has('--list-modules')) break;
      const out = pos[0];
      if (out) write(out, 'dracut');
      break;
    }
    case 'grub2-mkconfig':
    case 'grub-mkconfig': {
      const o = word(opts.get('-o') ?? opts.get('--output'));
      if (o) write(o, 'grub');
      break;
    }
    case 'unzip': {
      const d = word(opts.get('-d'));
      if (d) write(d, 'extract', { intoDirectory: true, sources: pos.slice(0, 1) });
      break;
    }
    case 'git': {
      // `git clone URL [DIR]` creates DIR, by default the repository's name in the working directory.
      const [sub, url, dir] = pos;
      if (sub?.value !== 'clone' || !url) break;
      if (dir) write(dir, 'clone');
      else {
        const name = url.value
          .replace(/\/+$/, '')
          .replace(/\.git$/, '')
          .split(/[/:]/)
          .pop();
        if (name && !url.dynamic) write({ ...url, value: name }, 'clone');
      }
      break;
    }
    case 'make': {
      // `make -C DIR` builds in DIR, leaving its objects there.
      const d = word(opts.get('-C') ?? opts.get('--directory'));
      if (d) write(d, 'build');
      break;
    }
    default:
      break;
  }
  return out;
}

/** Options of curl/wget/tar/unzip that take a value, needed to split their argv right. */
export const VALUE_OPTS_EXTRA: Record<string, string[]> = {
  curl: ['-o', '--output', '-H', '--header', '-d', '--data', '-u', '--user', '-X', '--request', '-A', '-e', '--retry'],
  wget: ['-O', '--output-document', '-P', '--directory-prefix', '-t', '--tries', '-T', '--timeout'],
  tar: ['-C', '--directory', '-f', '--file'],
  unzip: ['-d'],
  git: ['-C', '-c', '--git-dir', '--work-tree', '-b', '--branch', '--depth', '-o', '--origin', '--reference', '--config'],
  make: ['-C', '--directory', '-f', '--file', '--makefile', '-j', '--jobs', '-I', '--include-dir', '-o', '-W'],
  dracut: [
    '--kver',
    '-a',
    '--add',
    '-d',
    '--drivers',
    '--add-drivers',
    '--force-drivers',
    '--omit-drivers',
    '-o',
    '--omit',
    '-m',
    '--modules',
    '-c',
    '--conf',
    '--confdir',
    '-k',
    '--kmoddir',
    '--fwdir',
    '--tmpdir',
    '-i',
    '--install',
    '-I',
    '--install-optional',
    '--filesystems',
    '--compress',
    '--kernel-cmdline',
    '--uefi-stub',
    '--kernel-image',
    '-L',
    '--stdlog',
    '--sysroot',
    '--add-fstab',
    '--mount',
    '--hostonly-mode',
  ],
  'grub2-mkconfig': ['-o', '--output'],
  'grub-mkconfig': ['-o', '--output'],
};
Object.assign(OPTS_WITH_VALUE, VALUE_OPTS_EXTRA);
