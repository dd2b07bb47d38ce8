import * as fs from 'node:fs';
import * as path from 'node:path';

/** A writer for test root filesystems: `w(rel)` makes a directory, `w(rel, content)` a file with its parents. */
export function treeWriter(root: string): (rel: string, content?: string) => void {
  return (rel, content) => {
    const p = path.join(root, rel);
    if (content === undefined) fs.mkdirSync(p, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
  };
}
