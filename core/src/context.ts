import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuildContext } from './lint/rule';

const MAX_CONTEXT_FILE = 1024 * 1024;
/** A tmpfiles.d or sysusers.d directory holds a few dozen files; stop reading a huge one there. */
const MAX_LISTED = 1000;

/** The build context of a Containerfile on disk: its directory, read-only, never outside it. */
export function directoryContext(dir: string | undefined): BuildContext {
  if (!dir) return { read: () => undefined };
  const root = path.resolve(dir);
  const inside = (rel: string): string | undefined => {
    const p = path.resolve(root, rel);
    return p === root || p.startsWith(root + path.sep) ? p : undefined;
  };
  return {
    dir: root,
    list(rel: string): string[] | undefined {
      const p = inside(rel);
      if (!p) return undefined;
      try {
        const files = fs.readdirSync(p, { withFileTypes: true }).filter((e) => e.isFile() || e.isSymbolicLink());
        return files.slice(0, MAX_LISTED).map((e) => e.name);
      } catch {
        return undefined;
      }
    },
    read(rel: string): string | undefined {
      const p = inside(rel);
      if (!p) return undefined;
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
