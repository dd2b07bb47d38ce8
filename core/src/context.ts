import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuildContext } from './lint/rule';

const MAX_CONTEXT_FILE = 1024 * 1024;

/** The build context of a Containerfile on disk: its directory, read-only, never outside it. */
export function directoryContext(dir: string | undefined): BuildContext {
  if (!dir) return { read: () => undefined };
  const root = path.resolve(dir);
  return {
    dir: root,
    read(rel: string): string | undefined {
      const p = path.resolve(root, rel);
      if (p !== root && !p.startsWith(root + path.sep)) return undefined;
      try {
        // Runs on every keystroke for every COPY source; a missing file is common and should not cost an exception.
        const st = fs.statSync(p, { throwIfNoEntry: false });
        if (!st?.isFile() || st.size > MAX_CONTEXT_FILE) return undefined;
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
