import * as path from 'node:path';
import { list, lstat, quotePath } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'nonempty-boot',
    type: 'warning',
    description: 'The /boot directory should be present, but empty.',
    hint: 'Keep `/boot` present and empty: copy the kernel into `/usr/lib/modules/$kver/` and `rm -rf /boot/*` in the same RUN, or use `RUN --mount=type=tmpfs,target=/boot`.',
  },
  check(root) {
    const st = lstat(path.join(root, 'boot'));
    if (!st) return { message: 'Missing /boot directory', items: [], paths: ['/boot'] };
    const entries = list(path.join(root, 'boot')).filter((n) => n !== 'EFI');
    if (entries.length === 0) return undefined;
    return { message: 'Found non-empty /boot:', items: entries.map(quotePath), paths: entries.map((e) => `/boot/${e}`) };
  },
});
