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

/** Shell-safe paths print as-is; others are single-quoted, like bootc's PathQuotedDisplay. */
export function quotePath(p: string): string {
  return /^[\w/.,=:-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** Users and groups in passwd/group format. */
export function names(text: string | undefined): { name: string; id: number }[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0])
    .map((f) => ({ name: f[0] ?? '', id: Number(f[2]) }));
}

/** Resolves symlinks of an absolute path inside the image root (never escaping it). */
export function canonical(root: string, p: string): string {
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
