import * as path from 'node:path';
import { DPKG_TMPFILES_LINE } from '../../rules/dpkg-database-in-var';
import { lstat } from './rootfs';
import { defineOwnImageLint } from './types';

export default defineOwnImageLint({
  meta: {
    name: 'dpkg-database-in-var',
    type: 'warning',
    own: true,
    description: "The image's dpkg database is a real directory in /var/lib/dpkg and /usr/lib/sysimage/dpkg does not exist.",
    hint: `Move it into the image proper (\`mv /var/lib/dpkg /usr/lib/sysimage/dpkg\`) and link it back at boot with a tmpfiles.d line \`${DPKG_TMPFILES_LINE}\` (typing-time rule \`dpkg-database-in-var\`).`,
  },
  check(root) {
    const db = lstat(path.join(root, 'var/lib/dpkg'));
    if (!db?.isDirectory() || !lstat(path.join(root, 'var/lib/dpkg/status'))) return undefined;
    if (lstat(path.join(root, 'usr/lib/sysimage/dpkg'))) return undefined;
    return {
      message:
        'The dpkg database is in /var/lib/dpkg (status is there, /usr/lib/sysimage/dpkg does not exist): /var is seeded once at install, so after the first upgrade it describes the old image',
      items: [],
      // The status file is rewritten by every package operation: its layer is the last one that changed the database.
      paths: ['/var/lib/dpkg/status'],
    };
  },
});
