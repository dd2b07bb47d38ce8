import * as fs from 'node:fs';
import * as path from 'node:path';

// Reading a root filesystem that may be half-built: every helper answers "absent" instead of throwing.

export function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

export function stat(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

export function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function list(p: string): string[] {
  try {
    return fs.readdirSync(p).sort();
  } catch {
    return [];
  }
}

/**
 * A path as bootc's PathQuotedDisplay prints it: as-is when every character is alphanumeric (any
 * script) or one of `/ . - _ , = :`, else through the shlex crate's quoting, which leaves a word with
 * only `+ - . / : @ ] _` and ASCII alphanumerics bare and otherwise quotes it chunk by chunk.
 */
export function quotePath(p: string): string {
  if (/^[\p{Alphabetic}\p{N}/.,=:_-]*$/u.test(p)) return p;
  let rest = Buffer.from(p, 'utf8');
  let out = '';
  while (rest.length > 0) {
    const [len, how] = shlexChunk(rest);
    const chunk = rest.subarray(0, len).toString('utf8');
    rest = rest.subarray(len);
    if (how === 'bare') out += chunk;
    else if (how === 'single') out += `'${chunk}'`;
    else out += `"${chunk.replace(/[$`"\\]/g, '\\$&')}"`;
  }
  return out;
}

const BARE = /^[+\-./:@\]_0-9A-Za-z]$/;

/** shlex's quoting strategy: the longest prefix one way of quoting covers, and that way. */
function shlexChunk(b: Buffer): [number, 'bare' | 'single' | 'double'] {
  let ok = 7; // 1 bare, 2 single-quoted, 4 double-quoted
  let i = 0;
  if (b[0] === 0x5e) {
    ok = 2;
    i = 1;
  }
  for (; i < b.length; i++) {
    const c = b[i] ?? 0;
    let cur = ok;
    if (c >= 0x80 || !BARE.test(String.fromCharCode(c))) cur &= ~1;
    if (c < 0x80 && (c === 0x27 || c === 0x5e || c === 0x5c)) cur &= ~2;
    if (c < 0x80 && (c === 0x60 || c === 0x24 || c === 0x21 || c === 0x5e)) cur &= ~4;
    if (cur === 0) break;
    ok = cur;
  }
  return [i, ok & 1 ? 'bare' : ok & 2 ? 'single' : 'double'];
}

/** Users and groups in passwd/group format. */
export function names(text: string | undefined): { name: string; id: number }[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0])
    .map((f) => ({ name: f[0] ?? '', id: Number(f[2]) }));
}

/** Resolves symlinks (chains too) and `.`/`..` of an absolute path inside the image root, never escaping it. */
export function canonical(root: string, p: string): string {
  const todo = p.split('/').filter(Boolean);
  const cur: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift() ?? '';
    if (part === '.') continue;
    if (part === '..') {
      cur.pop();
      continue;
    }
    const next = `/${[...cur, part].join('/')}`;
    const st = lstat(path.join(root, next));
    if (st?.isSymbolicLink() && hops++ < 40) {
      const t = fs.readlinkSync(path.join(root, next));
      if (t.startsWith('/')) cur.length = 0;
      todo.unshift(...t.split('/').filter(Boolean));
    } else cur.push(part);
  }
  return `/${cur.join('/')}`;
}

/** Type letter (modifiers dropped) and path of every line of the image's tmpfiles.d files. */
export function tmpfilesLines(root: string): { type: string; path: string }[] {
  const out: { type: string; path: string }[] = [];
  for (const dir of ['usr/lib/tmpfiles.d', 'etc/tmpfiles.d']) {
    for (const f of list(path.join(root, dir)).filter((n) => n.endsWith('.conf'))) {
      for (const line of (readText(path.join(root, dir, f)) ?? '').split('\n')) {
        const m = /^\s*([a-zA-Z])[+!~^=-]*\s+(\/\S+)/.exec(line);
        if (m?.[1] && m[2]) out.push({ type: m[1], path: m[2].replace(/\/+$/, '') });
      }
    }
  }
  return out;
}

/** Paths tmpfiles.d declares, canonicalised through the image's symlinks (`/root` → `/var/roothome`). */
export function tmpfilesDeclared(root: string): Set<string> {
  const out = new Set<string>();
  for (const { path: p } of tmpfilesLines(root)) {
    out.add(p);
    out.add(canonical(root, p));
  }
  return out;
}

/**
 * A tmpfiles.d path field as systemd and bootc read it: optionally double-quoted, with `\\`, `\n`,
 * `\r`, `\t` and `\xNN` escapes. Undefined when an escape is malformed.
 */
export function tmpfilesPathField(rest: string): string | undefined {
  const quoted = rest.startsWith('"');
  const src = Buffer.from(quoted ? rest.slice(1) : rest, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? 0;
    if (quoted ? c === 0x22 : c === 0x20 || (c >= 0x09 && c <= 0x0d)) break;
    if (c !== 0x5c) {
      bytes.push(c);
      continue;
    }
    const e = src[++i];
    if (e === 0x5c) bytes.push(0x5c);
    else if (e === 0x6e) bytes.push(0x0a);
    else if (e === 0x72) bytes.push(0x0d);
    else if (e === 0x74) bytes.push(0x09);
    else if (e === 0x78) {
      const hex = src.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else return undefined;
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * What bootc's var-tmpfiles lint counts as declared: every line of every `*.conf` in
 * /usr/lib/tmpfiles.d and /etc/tmpfiles.d, whatever its type, keyed by the line's parent directory
 * resolved through the image's symlinks plus its last component (which is never followed).
 * A line without a path makes bootc stop with a runtime error; that line is returned as `malformed`.
 */
export function tmpfilesDeclaredLikeBootc(root: string): { declared: Set<string>; malformed?: string } {
  const declared = new Set<string>();
  for (const dir of ['usr/lib/tmpfiles.d', 'etc/tmpfiles.d']) {
    for (const f of list(path.join(root, dir)).filter((n) => /.\.conf$/.test(n))) {
      for (const line of (readText(path.join(root, dir, f)) ?? '').split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const m = /^\s*\S+\s*(.*)$/.exec(line);
        const p = m ? tmpfilesPathField(m[1] ?? '') : undefined;
        if (p === undefined) return { declared, malformed: line };
        const rel = p.replace(/^\/+/, '').replace(/\/+$/, '');
        const parent = path.posix.dirname(rel);
        declared.add(parent === '.' ? `/${rel}` : path.posix.join(canonical(root, `/${parent}`), path.posix.basename(rel)));
      }
    }
  }
  return { declared };
}
