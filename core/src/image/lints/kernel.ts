import * as path from 'node:path';
import { list, lstat, stat } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'kernel',
    type: 'fatal',
    description: 'Check for multiple kernels, i.e. multiple directories of the form /usr/lib/modules/$kver.',
    oneProblem: true,
    hint: 'Keep exactly one `/usr/lib/modules/$kver` with a `vmlinuz`: remove the old kernel packages and their module directory when you swap kernels.',
  },
  check(root) {
    const dir = path.join(root, 'usr/lib/modules');
    // bootc counts real directories (not links to them) holding a `vmlinuz` of any kind.
    const kernels = list(dir).filter((k) => lstat(path.join(dir, k))?.isDirectory() && stat(path.join(dir, k, 'vmlinuz')) !== undefined);
    if (kernels.length <= 1) return undefined;
    return {
      message: 'Found multiple subdirectories in usr/lib/modules',
      items: kernels,
      paths: kernels.map((k) => `/usr/lib/modules/${k}`),
      runtimeError: true,
    };
  },
});
