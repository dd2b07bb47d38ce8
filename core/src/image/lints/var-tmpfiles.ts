import * as fs from 'node:fs';
import * as path from 'node:path';
import { lstat, names, quotePath, readText, tmpfilesDeclaredLikeBootc } from './rootfs';
import { defineImageLint, type CheckResult } from './types';

/** Names in the directory's own order (readdirSync sorts them: libuv's scandir does). */
function readdirUnsorted(p: string): string[] {
  const out: string[] = [];
  let dir: fs.Dir | undefined;
  try {
    dir = fs.opendirSync(p);
    for (let e = dir.readSync(); e; e = dir.readSync()) out.push(e.name);
  } catch {
    // unreadable: nothing to list
  } finally {
    dir?.closeSync();
  }
  return out;
}

function idNames(root: string, file: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const f of [`etc/${file}`, `usr/lib/${file}`])
    for (const e of names(readText(path.join(root, f)))) if (!m.has(e.id)) m.set(e.id, e.name);
  return m;
}

/**
 * A path as bootc writes it into a tmpfiles.d line: `/var/run/x` becomes `/run/x` (the link bootc
 * requires), then plain when only alphanumerics and `/`, else printable ASCII kept and other bytes `\xNN`.
 */
export function tmpfilesPath(p: string): string {
  const s = p === '/var/run' || p.startsWith('/var/run/') ? `/run${p.slice('/var/run'.length)}` : p;
  if (/^[A-Za-z0-9/]+$/.test(s)) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x5c) out += '\\\\';
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0d) out += '\\r';
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

// bootc keeps the suggested lines in a sorted set, so they print in byte order (`L` lines before `d`).
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export default defineImageLint({
  meta: {
    name: 'var-tmpfiles',
    type: 'warning',
    rootType: 'running',
    description: 'Check for content in /var that does not have corresponding systemd tmpfiles.d entries.',
    hint: 'Keep `/var` empty in the image; declare directories and links with `/usr/lib/tmpfiles.d/*.conf` or `StateDirectory=`, and ship data under `/usr/share`.',
  },
  check(root) {
    const { declared, malformed } = tmpfilesDeclaredLikeBootc(root);
    if (malformed !== undefined)
      return { message: `Malformed tmpfiles.d line ${malformed}`, items: [], paths: ['/usr/lib/tmpfiles.d'], runtimeError: true };
    const users = idNames(root, 'passwd');
    const groups = idNames(root, 'group');
    const missing: string[] = [];
    const paths: string[] = [];
    const files: string[] = [];
    let failure: CheckResult | undefined;
    const rootDev = lstat(root)?.dev;
    const walk = (rel: string): void => {
      // Directory order, not sorted: bootc lists files it cannot express in that order.
      for (const n of readdirUnsorted(path.join(root, rel))) {
        if (failure) return;
        const r = `${rel}/${n}`;
        const abs = `/${r}`;
        const st = lstat(path.join(root, r));
        if (!st) continue;
        if (!declared.has(abs)) {
          if (!st.isDirectory() && !st.isSymbolicLink()) {
            files.push(r);
            paths.push(abs);
            continue;
          }
          // bootc asks the name service for the owner and stops the whole run if it has no name.
          const user = users.get(st.uid);
          const group = groups.get(st.gid);
          if (user === undefined || group === undefined) {
            const message = user === undefined ? `User not found for id ${st.uid}` : `Group not found for id ${st.gid}`;
            failure = { message, items: [], paths: [abs], runtimeError: true };
            return;
          }
          missing.push(
            st.isDirectory()
              ? `d ${tmpfilesPath(abs)} ${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${user} ${group} - -`
              : `L ${tmpfilesPath(abs)} - - - - ${tmpfilesPath(fs.readlinkSync(path.join(root, r)))}`,
          );
          paths.push(abs);
        }
        // Like bootc, do not descend into other filesystems mounted under /var.
        if (st.isDirectory() && (rootDev === undefined || st.dev === rootDev)) walk(r);
      }
    };
    if (lstat(path.join(root, 'var'))?.isDirectory()) walk('var');
    if (failure) return failure;
    if (missing.length === 0 && files.length === 0) return undefined;
    missing.sort(byteOrder);
    const sections =
      missing.length && files.length ? [{ header: 'Found non-directory/non-symlink files in /var:', items: files.map(quotePath) }] : [];
    if (missing.length) return { message: 'Found content in /var missing systemd tmpfiles.d entries:', items: missing, sections, paths };
    return { message: 'Found non-directory/non-symlink files in /var:', items: files.map(quotePath), paths };
  },
});
