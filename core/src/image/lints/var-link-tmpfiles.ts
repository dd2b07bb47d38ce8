import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpfilesLineFor, VAR_LINKED } from '../../rules/var-link-tmpfiles';
import { CREATING_TYPES } from '../../lint/tmpfiles';
import { canonical, lstat, tmpfilesLines } from './rootfs';
import { defineOwnImageLint } from './types';

export default defineOwnImageLint({
  meta: {
    name: 'var-link-tmpfiles',
    type: 'warning',
    own: true,
    description: 'A top-level link into /var (/home, /root, /opt, /srv, /mnt, /usr/local) whose target no tmpfiles.d entry creates.',
    hint: 'Add a tmpfiles.d line that creates the target (`d /var/home 0755 root root -`) next to the link (typing-time rule `var-link-tmpfiles`).',
  },
  check(root) {
    let declared: Set<string> | undefined;
    const items: string[] = [];
    const paths: string[] = [];
    for (const link of VAR_LINKED) {
      const abs = path.join(root, link);
      if (!lstat(abs)?.isSymbolicLink()) continue;
      const target = fs.readlinkSync(abs);
      const dest = path.posix.resolve(path.posix.dirname(link), target);
      if (!dest.startsWith('/var/')) continue;
      // systemd-tmpfiles follows links in a line's parent directories, never in its last component:
      // systemd's own `Q /home` does not create /var/home through the /home link.
      declared ??= new Set(
        tmpfilesLines(root)
          .filter((l) => CREATING_TYPES.has(l.type))
          .map((l) => path.posix.join(canonical(root, path.posix.dirname(l.path)), path.posix.basename(l.path))),
      );
      if (declared.has(dest)) continue;
      items.push(`${link} -> ${target}: add \`${tmpfilesLineFor(dest)}\``);
      paths.push(link);
    }
    if (paths.length === 0) return undefined;
    return { message: 'Links into /var whose target no tmpfiles.d entry creates (they dangle on a fresh install):', items, paths };
  },
});
