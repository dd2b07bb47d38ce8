import * as path from 'node:path';
import { checkKargs } from '../../rules/kargs-syntax';
import { list, lstat, readText } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'bootc-kargs',
    type: 'fatal',
    description: 'Verify syntax of /usr/lib/bootc/kargs.d.',
    hint: 'Files in `/usr/lib/bootc/kargs.d/*.toml` may only have `kargs = ["…"]` and `match-architectures = ["x86_64", …]` (the typing-time rule `kargs-syntax` points at the key).',
  },
  check(root) {
    const dir = path.join(root, 'usr/lib/bootc/kargs.d');
    const st = lstat(dir);
    if (!st) return undefined;
    if (!st.isDirectory())
      return { message: 'Reading usr/lib/bootc/kargs.d', items: [], paths: ['/usr/lib/bootc/kargs.d'], runtimeError: true };
    // Like Rust's Path::extension, a bare `.toml` has no extension and is not read.
    for (const f of list(dir).filter((n) => /.\.toml$/.test(n))) {
      const text = readText(path.join(dir, f));
      // An unknown architecture only never matches; bootc parses the file fine.
      const problems = text === undefined ? [{ message: 'unreadable' }] : checkKargs(text).filter((p) => !p.advisory);
      if (problems.length > 0) {
        return {
          message: `Parsing ${f}`,
          items: problems.map((p) => p.message),
          paths: [`/usr/lib/bootc/kargs.d/${f}`],
          runtimeError: true,
        };
      }
    }
    return undefined;
  },
});
