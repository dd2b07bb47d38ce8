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

/**
 * The files every clean bootc-shaped test root has (ostree and /var/run links, composefs config, root in
 * passwd/group and sysusers, the /var/run tmpfiles entry), so a test's findings come only from what it adds.
 */
export function writeBootcSkeleton(root: string): void {
  const w = treeWriter(root);
  for (const d of ['run', 'var', 'etc']) w(d);
  fs.symlinkSync('sysroot/ostree', path.join(root, 'ostree'));
  fs.symlinkSync('../run', path.join(root, 'var/run'));
  w('usr/lib/ostree/prepare-root.conf', '[composefs]\nenabled = true\n');
  w('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
  w('etc/group', 'root:x:0:\n');
  w('usr/lib/sysusers.d/basic.conf', 'u root 0 "root" /root /bin/sh\n');
  w('usr/lib/tmpfiles.d/var.conf', 'L /var/run - - - - ../run\n');
}
