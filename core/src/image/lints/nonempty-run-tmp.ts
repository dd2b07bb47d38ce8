import * as path from 'node:path';
import { list, lstat, quotePath } from './rootfs';
import { defineImageLint } from './types';

export default defineImageLint({
  meta: {
    name: 'nonempty-run-tmp',
    type: 'warning',
    description: 'The /run and /tmp directories should be empty in container images.',
    hint: 'Use `RUN --mount=type=tmpfs,target=/run --mount=type=tmpfs,target=/tmp` on build steps, or remove the files in the same RUN.',
  },
  check(root) {
    const found: string[] = [];
    const rootDev = lstat(root)?.dev;
    const walk = (rel: string): void => {
      for (const n of list(path.join(root, rel))) {
        const r = `${rel}/${n}`;
        const st = lstat(path.join(root, r));
        if (!st) continue;
        if (rootDev !== undefined && st.dev !== rootDev) continue;
        found.push(`/${r}`);
        if (st.isDirectory()) walk(r);
      }
    };
    for (const d of ['run', 'tmp']) {
      const st = lstat(path.join(root, d));
      // bootc opens them without following links: a link or a file there stops its whole run.
      if (st && !st.isDirectory()) return { message: 'Not a directory (os error 20)', items: [], paths: [`/${d}`], runtimeError: true };
      if (st?.isDirectory() && (rootDev === undefined || st.dev === rootDev)) walk(d);
    }
    // podman's DNS stub and the parents that hold nothing else (bootc >= 1.14).
    const stub = '/run/systemd/resolve/stub-resolv.conf';
    const ignore = new Set<string>();
    if (found.includes(stub)) {
      ignore.add(stub);
      for (let p = path.posix.dirname(stub); p !== '/run'; p = path.posix.dirname(p)) {
        const children = found.filter((f) => path.posix.dirname(f) === p && !ignore.has(f));
        if (children.length === 0) ignore.add(p);
        else break;
      }
    }
    const left = found.filter((f) => !ignore.has(f));
    if (left.length === 0) return undefined;
    return { message: 'Found content in runtime-only directories (/run, /tmp):', items: left.map(quotePath), paths: left };
  },
});
