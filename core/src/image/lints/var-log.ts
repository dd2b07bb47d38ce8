import * as path from 'node:path';
import { list, lstat, quotePath } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'var-log',
    type: 'warning',
    description: 'Check for non-empty regular files in /var/log.',
    hint: 'Remove logs in the same RUN (`rm -rf /var/log/*`) or keep them out with `RUN --mount=type=cache,target=/var/log`.',
  },
  check(root) {
    const found: string[] = [];
    const walk = (rel: string): void => {
      for (const n of list(path.join(root, rel))) {
        const r = `${rel}/${n}`;
        const st = lstat(path.join(root, r));
        if (!st) continue;
        if (st.isDirectory()) walk(r);
        else if (st.isFile() && st.size > 0) found.push(`/${r}`);
      }
    };
    if (lstat(path.join(root, 'var/log'))?.isDirectory()) walk('var/log');
    if (found.length === 0) return undefined;
    return { message: 'Found non-empty logfiles:', items: found.map(quotePath), paths: found };
  },
});
