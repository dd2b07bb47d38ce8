import type { ImageLintResult, LintType } from './lints';

/** What `bootc container lint` printed, read from every published output format (v0.1.12 to v1.16). */
export interface BootcLintOutput {
  results: ImageLintResult[];
  passed?: number;
  skipped?: number;
  warnings?: number;
  /** `error: Linting: Checks failed: N`. */
  failed?: number;
  /** A lint stopped the run (`Unexpected runtime error running lint NAME: MSG`). */
  runtimeError?: { lint: string; message: string };
  /** Pre-1.1.5 unnamed failure (`error: Linting: <msg>`). */
  legacyFailure?: string;
  /** Pre-1.1.5: `error: Not in a ostree container…`. */
  notOstree?: boolean;
  /** An option this bootc does not know (clap usage error), e.g. `--no-truncate` before 1.3.0. */
  unknownFlag?: string;
  /** Lints whose item lists were cut (`...and N more`). */
  truncated: Record<string, number>;
}

const START = /^(Failed lint|Lint warning): ([a-z0-9-]+): (.*)$/;
const MORE = /^ {2}\.\.\.and (\d+) more$/;
const ITEM = /^ {2}(.+)$/;
const HEADER = /^([A-Z][^:]*(?:\([^)]*\))?[^:]*):$/;

/** Removes bootc's path quoting: POSIX single quotes or (bootc 1.1.6) Rust Debug double quotes. */
export function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/'\\''/g, "'");
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

/** The image paths a bootc result talks about, derived from its lint name and items. */
export function pathsOf(
  lint: string,
  message: string,
  items: string[],
  sections: { header: string; items: string[] }[],
): { paths: string[]; users?: { kind: 'user' | 'group'; name: string }[] } {
  const all = [...items, ...sections.flatMap((s) => s.items)].map(unquote);
  switch (lint) {
    case 'var-tmpfiles':
      return {
        paths: all.map((i) => {
          const m = /^[a-zA-Z][+!~^=-]*\s+(\S+)/.exec(i);
          const p = m ? unquote(m[1] ?? '') : i;
          return p.startsWith('/') ? p : `/${p}`;
        }),
      };
    case 'nonempty-boot':
      return { paths: message.startsWith('Missing') ? ['/boot'] : all.map((n) => `/boot/${n}`) };
    case 'sysusers': {
      const users: { kind: 'user' | 'group'; name: string }[] = [];
      const kind = (h: string): 'user' | 'group' => (h.includes('/etc/group') ? 'group' : 'user');
      for (const i of items) users.push({ kind: kind(message), name: unquote(i) });
      for (const s of sections) for (const i of s.items) users.push({ kind: kind(s.header), name: unquote(i) });
      return { paths: [], users };
    }
    case 'var-run':
      return { paths: ['/var/run'] };
    case 'etc-usretc':
      return { paths: ['/usr/etc'] };
    case 'buildah-injected':
      return { paths: [/resolv/.test(message) ? '/etc/resolv.conf' : '/etc/hostname'] };
    case 'baseimage-root':
      return { paths: [/sysroot/.test(message) && !/ostree/.test(message) ? '/sysroot' : '/ostree'] };
    case 'baseimage-composefs':
      return { paths: ['/usr/lib/ostree/prepare-root.conf'] };
    case 'api-base-directories': {
      const m = /(\/\w+)$/.exec(message);
      return { paths: m?.[1] ? [m[1]] : [] };
    }
    case 'kernel':
      return { paths: ['/usr/lib/modules'] };
    case 'bootc-kargs': {
      const m = /Parsing (\S+)/.exec(message);
      return { paths: m?.[1] ? [`/usr/lib/bootc/kargs.d/${m[1]}`] : ['/usr/lib/bootc/kargs.d'] };
    }
    case 'utf8': {
      const m = /^(\S+?):/.exec(message);
      return { paths: m?.[1] ? [m[1]] : [] };
    }
    default:
      return { paths: all.filter((i) => i.startsWith('/')) };
  }
}

const FATAL = new Set(['var-run', 'kernel', 'bootc-kargs', 'etc-usretc', 'utf8', 'baseimage-root', 'api-base-directories']);

/** Parses stdout and stderr of `bootc container lint` (lines may interleave in a combined log). */
export function parseBootcLint(stdout: string, stderr = ''): BootcLintOutput {
  const out: BootcLintOutput = { results: [], truncated: {} };
  let cur: { lint: string; type: LintType; message: string; items: string[]; sections: { header: string; items: string[] }[] } | undefined;
  const close = (): void => {
    if (!cur) return;
    const { paths, users } = pathsOf(cur.lint, cur.message, cur.items, cur.sections);
    out.results.push({
      lint: cur.lint,
      type: cur.type,
      message: cur.message.replace(/:$/, '') + (cur.message.endsWith(':') ? ':' : ''),
      items: cur.items.map(unquote),
      sections: cur.sections.length ? cur.sections.map((s) => ({ header: s.header, items: s.items.map(unquote) })) : undefined,
      paths,
      users,
    });
    cur = undefined;
  };
  const lines = `${stdout}\n${stderr}`.split(/\r?\n/);
  for (const line of lines) {
    const start = START.exec(line);
    if (start) {
      close();
      cur = {
        lint: start[2] ?? '',
        type: start[1] === 'Failed lint' ? 'fatal' : 'warning',
        message: start[3] ?? '',
        items: [],
        sections: [],
      };
      continue;
    }
    const more = MORE.exec(line);
    if (more && cur) {
      out.truncated[cur.lint] = (out.truncated[cur.lint] ?? 0) + Number(more[1]);
      continue;
    }
    const item = ITEM.exec(line);
    if (item && cur) {
      const target = cur.sections[cur.sections.length - 1] ?? cur;
      target.items.push(item[1] ?? '');
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^Checks passed: (\d+)$/.exec(line))) {
      close();
      out.passed = Number(m[1]);
      continue;
    }
    if ((m = /^Checks skipped: (\d+)$/.exec(line))) {
      out.skipped = Number(m[1]);
      continue;
    }
    if ((m = /^Warnings: (\d+)$/.exec(line))) {
      out.warnings = Number(m[1]);
      continue;
    }
    if ((m = /^error: Linting: Checks failed: (\d+)$/.exec(line))) {
      out.failed = Number(m[1]);
      continue;
    }
    if ((m = /^error: Linting: Unexpected runtime error running lint ([a-z0-9-]+): (.*)$/.exec(line))) {
      close();
      const lint = m[1] ?? '';
      out.runtimeError = { lint, message: m[2] ?? '' };
      const { paths } = pathsOf(lint, m[2] ?? '', [], []);
      out.results.push({ lint, type: 'fatal', message: m[2] ?? '', items: [], paths, runtimeError: true });
      continue;
    }
    if ((m = /^error: Not in a ostree container/.exec(line))) {
      out.notOstree = true;
      continue;
    }
    if ((m = /^error: (?:unexpected argument|Found argument|unrecognized option) '([^']+)'/.exec(line))) {
      out.unknownFlag = m[1];
      continue;
    }
    if ((m = /^error: Linting: (.*)$/.exec(line))) {
      // bootc < 1.1.5: lints were unnamed and stopped at the first failure.
      close();
      out.legacyFailure = m[1];
      const guess = legacyName(m[1] ?? '');
      out.results.push({ lint: guess, type: 'fatal', message: m[1] ?? '', items: [], paths: pathsOf(guess, m[1] ?? '', [], []).paths });
      continue;
    }
    if (cur && HEADER.test(line)) {
      cur.sections.push({ header: line.slice(0, -1) + ':', items: [] });
      continue;
    }
    if (line.trim() === '') close();
  }
  close();
  // Warnings only count as failures with --fatal-warnings; FATAL decides which prefix bootc would use.
  for (const r of out.results) if (FATAL.has(r.lint) && r.type !== 'fatal') r.type = 'fatal';
  return out;
}

function legacyName(msg: string): string {
  if (/var\/run/.test(msg)) return 'var-run';
  if (/usr\/lib\/modules|kernel/.test(msg)) return 'kernel';
  if (/kargs/.test(msg)) return 'bootc-kargs';
  if (/usr\/etc/.test(msg)) return 'etc-usretc';
  if (/utf-?8/i.test(msg)) return 'utf8';
  if (/sysroot|ostree|composefs/.test(msg)) return 'baseimage-root';
  return 'bootc-lint';
}
