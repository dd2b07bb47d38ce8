import * as path from 'node:path';
import { lstat } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'etc-usretc',
    type: 'fatal',
    description: 'Verify that only one of /etc or /usr/etc exist.',
    hint: 'Write configuration to `/etc` (or `/usr/lib`), never to `/usr/etc`.',
  },
  check(root) {
    if (!lstat(path.join(root, 'etc')) || !lstat(path.join(root, 'usr/etc'))) return undefined;
    return {
      message: 'Found /usr/etc - this is a bootc implementation detail and not supported to use in containers',
      items: [],
      paths: ['/usr/etc'],
    };
  },
});
