import * as posix from 'node:path/posix';

/** Normalises an absolute or relative path against a working directory, keeping `$vars` literal. */
export function resolvePath(p: string, cwd = '/'): string {
  const abs = p.startsWith('/') ? p : posix.join(cwd || '/', p);
  let n = posix.normalize(abs);
  if (n.length > 1 && n.endsWith('/')) n = n.slice(0, -1);
  return n;
}

const GLOBBY = /[*?[{$]/;
const regexCache = new Map<string, RegExp>();

/** Compiled once per distinct segment: rules ask the same questions thousands of times. */
function segmentMatches(pattern: string, seg: string): boolean {
  if (pattern === seg) return true;
  if (!GLOBBY.test(pattern)) return false;
  let re = regexCache.get(pattern);
  if (!re) {
    re = segmentRegex(pattern);
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re.test(seg);
}

function segmentRegex(seg: string): RegExp {
  // Shell glob of one path segment: `*`, `?`, `[...]`, `{a,b}`; `$var` can be anything.
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '$') {
      const m = /^\$(\{[^}]*\}|\w+)/.exec(seg.slice(i));
      if (m) {
        re += '[^/]*';
        i += m[0].length - 1;
      } else re += '\\$';
    } else if (c === '{') {
      const close = seg.indexOf('}', i);
      if (close > i) {
        re +=
          '(?:' +
          seg
            .slice(i + 1, close)
            .split(',')
            .map(escapeRe)
            .join('|') +
          ')';
        i = close;
      } else re += '\\{';
    } else if (c === '[') {
      const close = seg.indexOf(']', i);
      if (close > i) {
        re += seg.slice(i, close + 1).replace('[!', '[^');
        i = close;
      } else re += '\\[';
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function segments(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}

/** True when a path segment is a glob or contains a variable. */
export function isGlobby(seg: string): boolean {
  return GLOBBY.test(seg);
}

/** True when `pattern` (possibly a glob) names `p` itself or one of its ancestors. */
export function coversPath(pattern: string, p: string): boolean {
  const a = segments(pattern);
  const b = segments(p);
  if (a.length > b.length) return false;
  return a.every((seg, i) => segmentMatches(seg, b[i] ?? ''));
}

/** True when `p` is `dir` or lies beneath it (exact segments, no globbing). */
export function isUnder(p: string, dir: string): boolean {
  if (dir === '/') return p.startsWith('/');
  return p === dir || p.startsWith(dir + '/');
}

/** True when a pattern could name something under `dir` (it is `dir`, inside it, or a glob reaching in). */
export function mayBeUnder(p: string, dir: string): boolean {
  if (isUnder(p, dir)) return true;
  const a = segments(p);
  const b = segments(dir);
  if (a.length < b.length) return false;
  return b.every((seg, i) => segmentMatches(a[i] ?? '', seg));
}

/** The first path segment, `/app` for `/app/bin/x`. */
export function topLevel(p: string): string {
  const s = segments(p)[0];
  return s === undefined ? '/' : `/${s}`;
}
