import * as path from 'node:path';
import { lstat } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'buildah-injected',
    type: 'warning',
    rootType: 'alternative',
    description: 'Check for an invalid /etc/hostname or /etc/resolv.conf that may have been injected by a container build system.',
    hint: 'Do not leave empty `/etc/hostname` or `/etc/resolv.conf`: the builder bind-mounts them during RUN. COPY a real file or configure them at runtime.',
  },
  check(root) {
    for (const f of ['etc/hostname', 'etc/resolv.conf']) {
      const st = lstat(path.join(root, f));
      if (st?.isFile() && st.size === 0)
        return { message: `/${f} is an empty file; this may have been synthesized by a container runtime.`, items: [], paths: [`/${f}`] };
    }
    return undefined;
  },
});
