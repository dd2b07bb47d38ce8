import * as fs from 'node:fs';
import * as path from 'node:path';
import { list, lstat, names, quotePath, readText, tmpfilesDeclared } from './rootfs';
import { defineImageLint } from './types';

function idNames(root: string, file: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const f of [`etc/${file}`, `usr/lib/${file}`])
    for (const e of names(readText(path.join(root, f)))) if (!m.has(e.id)) m.set(e.id, e.name);
  return m;
}

export default defineImageLint({
  meta: {
    name: 'var-tmpfiles',
    type: 'warning',
    rootType: 'running',
    description: 'Check for content in /var that does not have corresponding systemd tmpfiles.d entries.',
    hint: 'Keep `/var` empty in the image; declare directories and links with `/usr/lib/tmpfiles.d/*.conf` or `StateDirectory=`, and ship data under `/usr/share`.',
  },
  check(root) {
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
  },
});
