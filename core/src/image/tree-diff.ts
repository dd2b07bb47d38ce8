import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelledError } from '../process/run';

/** Where a path lands on a bootc machine, which decides what an upgrade does with it. */
export type PathGroup = 'usr' | 'etc' | 'var' | 'boot' | 'other';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

/** What differs between two versions of a path that exists in both trees. */
export type Difference = 'type' | 'mode' | 'owner' | 'size' | 'content' | 'target';

export interface FileChange {
  /** Absolute path inside the image, e.g. `/etc/app.conf`. */
  path: string;
  kind: 'added' | 'removed' | 'modified';
  group: PathGroup;
  /** The type in the new tree (the old one for a removal). */
  type: EntryType;
  /** Size in the new tree (the old one for a removal); regular files only. */
  size?: number;
  oldSize?: number;
  /** For `modified`: what differs. */
  differences?: Difference[];
  /** Symlink target in the new tree (the old one for a removal). */
  target?: string;
}

export interface TreeDiffStats {
  /** Entries looked at in each tree. */
  oldEntries: number;
  newEntries: number;
  /** Files whose contents were read because metadata could not decide. */
  filesRead: number;
  bytesRead: number;
}

/** The paths that layers outside the two images' shared bottom layers put, change or white out, with their parents. */
export type TouchedPaths = Set<string>;

export interface TreeDiffOptions {
  /** Compare the contents of every regular file whose size agrees, not only those whose mtime differs. */
  content?: boolean;
  /**
   * When both images share their bottom layers, only paths those other layers touch can differ:
   * everything else is skipped unread, and touched files of equal size are compared by content
   * (a layer's mtimes have whole-second precision, so equal mtimes prove nothing there).
   */
  touched?: TouchedPaths;
  signal?: AbortSignal;
}

export function groupOf(p: string): PathGroup {
  for (const g of ['usr', 'etc', 'var', 'boot'] as const) if (p === `/${g}` || p.startsWith(`/${g}/`)) return g;
  return 'other';
}

function typeOf(st: fs.Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function readlink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

const CHUNK = 256 * 1024;

/**
 * Byte-by-byte comparison in chunks: it stops at the first difference and needs no digest of
 * either side, which is cheaper than hashing both files when only equality matters.
 */
function sameContent(a: string, b: string, stats: TreeDiffStats): boolean {
  let fa: number | undefined;
  let fb: number | undefined;
  try {
    fa = fs.openSync(a, 'r');
    fb = fs.openSync(b, 'r');
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    stats.filesRead++;
    for (;;) {
      const na = fs.readSync(fa, ba, 0, CHUNK, null);
      const nb = fs.readSync(fb, bb, 0, CHUNK, null);
      stats.bytesRead += na + nb;
      if (na !== nb) return false;
      if (na === 0) return true;
      if (ba.compare(bb, 0, nb, 0, na) !== 0) return false;
    }
  } catch {
    // Unreadable on either side: metadata said equal size, so report it as unknown-modified.
    return false;
  } finally {
    if (fa !== undefined) fs.closeSync(fa);
    if (fb !== undefined) fs.closeSync(fb);
  }
}

/**
 * Compares two root filesystems by walking both trees at once: metadata (type, permission bits,
 * owner, size, link target) decides, and contents are read only for regular files of equal size
 * whose mtime differs (or always with `content`), so an unchanged base layer costs one lstat per path.
 */
export async function compareTrees(
  oldRoot: string,
  newRoot: string,
  o: TreeDiffOptions = {},
): Promise<{ changes: FileChange[]; stats: TreeDiffStats }> {
  const changes: FileChange[] = [];
  const stats: TreeDiffStats = { oldEntries: 0, newEntries: 0, filesRead: 0, bytesRead: 0 };
  let sinceYield = 0;
  // The walk is synchronous for speed; yielding now and then lets a cancel (SIGINT, the editor) through.
  const tick = async (): Promise<void> => {
    if (++sinceYield < 512) return;
    sinceYield = 0;
    await new Promise((r) => setImmediate(r));
    if (o.signal?.aborted) throw new CancelledError();
  };

  const one = (side: 'old' | 'new', p: string, st: fs.Stats): FileChange => {
    const type = typeOf(st);
    const c: FileChange = { path: p, kind: side === 'old' ? 'removed' : 'added', group: groupOf(p), type };
    if (type === 'file') c.size = st.size;
    if (type === 'symlink') c.target = readlink(path.join(side === 'old' ? oldRoot : newRoot, p));
    return c;
  };

  /** Everything under a directory that exists on one side only. */
  const subtree = async (side: 'old' | 'new', rel: string): Promise<void> => {
    const root = side === 'old' ? oldRoot : newRoot;
    for (const name of list(path.join(root, rel)).sort()) {
      await tick();
      const p = `${rel}/${name}`;
      const st = lstat(path.join(root, p));
      if (!st) continue;
      if (side === 'old') stats.oldEntries++;
      else stats.newEntries++;
      changes.push(one(side, p, st));
      if (st.isDirectory()) await subtree(side, p);
    }
  };

  const touched = o.touched;
  const walk = async (rel: string, everything: boolean): Promise<void> => {
    const inOld = new Set(list(path.join(oldRoot, rel)));
    const inNew = new Set(list(path.join(newRoot, rel)));
    const names = new Set([...inOld, ...inNew]);
    for (const name of [...names].sort()) {
      const p = `${rel}/${name}`;
      // Untouched and on both sides: both images got it from the same shared layer. A path on one
      // side only is always looked at, which also covers directories made opaque by a later layer.
      if (touched && !everything && !touched.has(p) && inOld.has(name) && inNew.has(name)) continue;
      await tick();
      const a = lstat(path.join(oldRoot, p));
      const b = lstat(path.join(newRoot, p));
      if (a) stats.oldEntries++;
      if (b) stats.newEntries++;
      if (a && !b) {
        changes.push(one('old', p, a));
        if (a.isDirectory()) await subtree('old', p);
        continue;
      }
      if (!a && b) {
        changes.push(one('new', p, b));
        if (b.isDirectory()) await subtree('new', p);
        continue;
      }
      if (!a || !b) continue;
      const ta = typeOf(a);
      const tb = typeOf(b);
      const diffs: Difference[] = [];
      if (ta !== tb) diffs.push('type');
      else {
        if ((a.mode & 0o7777) !== (b.mode & 0o7777)) diffs.push('mode');
        if (a.uid !== b.uid || a.gid !== b.gid) diffs.push('owner');
        if (ta === 'file') {
          if (a.size !== b.size) diffs.push('size');
          else if (
            (o.content || a.mtimeMs !== b.mtimeMs || touched?.has(p)) &&
            !sameContent(path.join(oldRoot, p), path.join(newRoot, p), stats)
          )
            diffs.push('content');
        }
        if (ta === 'symlink' && readlink(path.join(oldRoot, p)) !== readlink(path.join(newRoot, p))) diffs.push('target');
        if (ta === 'other' && a.rdev !== b.rdev) diffs.push('content');
      }
      if (diffs.length) {
        const c: FileChange = { path: p, kind: 'modified', group: groupOf(p), type: tb, differences: diffs };
        if (tb === 'file') c.size = b.size;
        if (ta === 'file') c.oldSize = a.size;
        if (tb === 'symlink') c.target = readlink(path.join(newRoot, p));
        changes.push(c);
      }
      if (ta === 'dir' && tb === 'dir') await walk(p, everything);
      else if (ta === 'dir') await subtree('old', p);
      else if (tb === 'dir') await subtree('new', p);
    }
  };

  await walk('', !touched);
  changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return { changes, stats };
}
