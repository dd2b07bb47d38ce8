import * as path from 'node:path';
import { lstat } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'var-run',
    type: 'fatal',
    description: 'Check for /var/run being a physical directory; this is always a bug.',
    hint: 'Keep `/var/run` a link to `../run`: `rm -rf /var/run && ln -s ../run /var/run`.',
  },
  check(root) {
    const st = lstat(path.join(root, 'var/run'));
    if (!st || st.isSymbolicLink()) return undefined;
    return { message: 'Not a symlink: var/run', items: [], paths: ['/var/run'] };
  },
});
