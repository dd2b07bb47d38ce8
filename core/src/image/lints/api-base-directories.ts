import * as path from 'node:path';
import { lstat } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'api-base-directories',
    type: 'fatal',
    description: 'Verify that expected base API directories exist.',
    hint: 'Never remove `/var`, `/tmp`, `/run`, `/proc`, `/sys` or `/dev`, nor replace them with links; empty them (`rm -rf /tmp/*`) instead.',
  },
  check(root) {
    for (const d of ['dev', 'proc', 'sys', 'run', 'tmp', 'var']) {
      const st = lstat(path.join(root, d));
      if (!st) return { message: `Missing API filesystem base directory: /${d}`, items: [], paths: [`/${d}`] };
      if (!st.isDirectory()) return { message: `Expected directory for API filesystem base directory: /${d}`, items: [], paths: [`/${d}`] };
    }
    return undefined;
  },
});
