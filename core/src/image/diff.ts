import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import type { ContainerfileModel } from '../model/containerfile';
import { inspectImage, type ImageInspect, type PodmanTarget } from '../podman/podman';
import { layerDirs, layerOfPath, mapHistory, ownerOfLayer } from './attribution';
import { touchedOutsideSharedLayers } from './layer-touch';
import { withRootfs } from './lint-image';
import { diffPackages, readPackages, type PackageDiff } from './packages';
import { compareTrees, type FileChange, type PathGroup, type TreeDiffStats } from './tree-diff';

export type { FileChange, PathGroup } from './tree-diff';
export type { PackageDiff } from './packages';

export interface DiffImagesOptions extends PodmanTarget {
  oldImage: string;
  newImage: string;
  /** The Containerfile that built the new image: /var warnings are pinned to its instructions. */
  file?: string;
  model?: ContainerfileModel;
  /** Read and compare every regular file of equal size, not only those whose mtime changed. */
  content?: boolean;
  /** Walk both whole trees even when the images share bottom layers (for measuring; the result is the same). */
  fullWalk?: boolean;
  /** The rpm program used to read rpm databases (default `rpm` on PATH). */
  rpmPath?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface DiffImageRef {
  image: string;
  id: string;
  size?: number;
}

/** A /var path the upgrade changes but existing machines will never see. */
export interface VarWarning {
  path: string;
  kind: FileChange['kind'];
  message: string;
  /** 1-based position of the instruction that wrote it, when a Containerfile was given. */
  line?: number;
  column?: number;
  /** The image history entry of the layer that wrote it (`RUN …`, `COPY …`). */
  createdBy?: string;
  attributedTo: 'instruction' | 'base' | 'unknown';
}

export interface GroupSummary {
  added: number;
  removed: number;
  modified: number;
}

export interface KargsDiff {
  old: string[];
  new: string[];
  added: string[];
  removed: string[];
  /** Files that could not be parsed, as `path: reason`. */
  errors: string[];
}

export interface ImageDiff {
  old: DiffImageRef;
  new: DiffImageRef;
  file?: string;
  files: FileChange[];
  summary: Record<PathGroup, GroupSummary>;
  varWarnings: VarWarning[];
  packages: PackageDiff;
  kernel: { old: string[]; new: string[] };
  kargs: KargsDiff;
  access: 'mount' | 'export';
  attribution: 'layers' | 'none';
  /** `layers`: only paths outside the shared bottom layers were compared; `full`: both whole trees. */
  walk: 'layers' | 'full';
  stats: TreeDiffStats;
  timings: { rootfsMs: number; treeMs: number; totalMs: number };
}

export const GROUPS: PathGroup[] = ['usr', 'etc', 'var', 'boot', 'other'];

/** Kernel versions that have a bootable kernel at /usr/lib/modules/$kver/vmlinuz. */
export function kernelsIn(root: string): string[] {
  const dir = path.join(root, 'usr/lib/modules');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((k) => fs.existsSync(path.join(dir, k, 'vmlinuz'))).sort();
}

/** The kernel arguments of /usr/lib/bootc/kargs.d/*.toml, in bootc's order (file name order). */
export function kargsIn(root: string): { kargs: string[]; errors: string[] } {
  const dir = path.join(root, 'usr/lib/bootc/kargs.d');
  const out = { kargs: [] as string[], errors: [] as string[] };
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.toml'));
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    try {
      const data = parse(fs.readFileSync(path.join(dir, n), 'utf8'));
      const k = data.kargs;
      if (!Array.isArray(k) || !k.every((x) => typeof x === 'string')) throw new Error('kargs is not a list of strings');
      out.kargs.push(...k);
    } catch (e) {
      out.errors.push(`/usr/lib/bootc/kargs.d/${n}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}

function multisetMinus(a: string[], b: string[]): string[] {
  const left = [...b];
  return a.filter((x) => {
    const i = left.indexOf(x);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

export function summarize(changes: FileChange[]): Record<PathGroup, GroupSummary> {
  const s = Object.fromEntries(GROUPS.map((g) => [g, { added: 0, removed: 0, modified: 0 }])) as Record<PathGroup, GroupSummary>;
  for (const c of changes) s[c.group][c.kind]++;
  return s;
}

/** A whiteout in a layer directory: overlayfs's 0/0 character device, or the `.wh.` file of the tar form. */
function whitedOut(layer: string, rel: string): boolean {
  try {
    const st = fs.lstatSync(path.join(layer, rel));
    return st.isCharacterDevice() && st.rdev === 0;
  } catch {
    try {
      fs.lstatSync(path.join(layer, path.dirname(rel), `.wh.${path.basename(rel)}`));
      return true;
    } catch {
      return false;
    }
  }
}

/** The topmost layer that deleted `p`: a whiteout of it or of one of its parents. */
export function layerOfRemoval(dirs: string[], p: string): number | undefined {
  const parts = p.replace(/^\/+/, '').split('/');
  for (let i = dirs.length - 1; i >= 0; i--) {
    const d = dirs[i];
    if (!d) continue;
    for (let n = parts.length; n > 0; n--) if (whitedOut(d, parts.slice(0, n).join('/'))) return i;
  }
  return undefined;
}

const VAR_MESSAGE: Record<FileChange['kind'], (p: string) => string> = {
  added: (p) =>
    `${p} is new in /var: existing machines will not get it (bootc unpacks /var only at install). Create it at boot with tmpfiles.d or StateDirectory= instead.`,
  modified: (p) =>
    `${p} changed in /var: existing machines keep their old copy (bootc never updates /var from the image). Ship it under /usr and copy or link it at boot.`,
  removed: (p) => `${p} was removed from /var: existing machines keep it (bootc never updates /var from the image).`,
};

/** One warning per /var path, pinned to the layer (and instruction) of the new image that made the change. */
function varWarnings(
  changes: FileChange[],
  inspect: ImageInspect,
  model?: ContainerfileModel,
): { warnings: VarWarning[]; layers: boolean } {
  const dirs = layerDirs(inspect);
  const history = mapHistory(inspect, model);
  const warnings = changes
    .filter((c) => c.group === 'var')
    .map((c): VarWarning => {
      const w: VarWarning = { path: c.path, kind: c.kind, message: VAR_MESSAGE[c.kind](c.path), attributedTo: 'unknown' };
      if (!dirs) return w;
      const layer = c.kind === 'removed' ? layerOfRemoval(dirs, c.path) : layerOfPath(dirs, c.path);
      const entry = history.find((h) => h.layer === layer);
      if (entry?.createdBy) w.createdBy = entry.createdBy.replace(/^\/bin\/sh -c (#\(nop\) )?/, '').trim();
      const owner = ownerOfLayer(history, layer, model);
      if (owner.kind === 'instruction') {
        w.line = owner.instruction.headRange.start.line + 1;
        w.column = owner.instruction.headRange.start.character + 1;
        w.attributedTo = 'instruction';
      } else w.attributedTo = owner.kind;
      return w;
    });
  return { warnings, layers: !!dirs };
}

/**
 * What upgrading a machine from `oldImage` to `newImage` changes, without booting either: both root
 * filesystems are mounted (or exported where mounting is not allowed) and compared by metadata,
 * then the package databases, kernels and kernel arguments are read from them. Every mount is
 * undone on success, error and cancellation alike.
 */
export async function diffImages(o: DiffImagesOptions): Promise<ImageDiff> {
  const t0 = Date.now();
  const ro = { signal: o.signal };
  const [oi, ni] = await Promise.all([inspectImage(o, o.oldImage, ro), inspectImage(o, o.newImage, ro)]);
  const touched = o.fullWalk ? undefined : touchedOutsideSharedLayers(oi, ni);
  let rootfsMs = 0;
  let treeMs = 0;
  // Mount by ID: a tag moved by a concurrent build cannot swap the tree under us.
  const side = (id: string) => ({ ...o, image: id });
  const body = async (oldRoot: string, newRoot: string, access: 'mount' | 'export') => {
    rootfsMs = Date.now() - t0;
    const t1 = Date.now();
    const tree = await compareTrees(oldRoot, newRoot, { content: o.content, touched, signal: o.signal });
    treeMs = Date.now() - t1;
    const [pa, pb] = await Promise.all([
      readPackages(oldRoot, { rpmPath: o.rpmPath, signal: o.signal }),
      readPackages(newRoot, { rpmPath: o.rpmPath, signal: o.signal }),
    ]);
    const ka = kargsIn(oldRoot);
    const kb = kargsIn(newRoot);
    return {
      access,
      tree,
      packages: diffPackages(pa, pb),
      kernel: { old: kernelsIn(oldRoot), new: kernelsIn(newRoot) },
      kargs: {
        old: ka.kargs,
        new: kb.kargs,
        added: multisetMinus(kb.kargs, ka.kargs),
        removed: multisetMinus(ka.kargs, kb.kargs),
        errors: [...ka.errors.map((e) => `old image: ${e}`), ...kb.errors.map((e) => `new image: ${e}`)],
      },
    };
  };
  const r =
    oi.Id === ni.Id
      ? await withRootfs(side(oi.Id), (root, access) => body(root, root, access))
      : await withRootfs(side(oi.Id), (oldRoot, a1) =>
          withRootfs(side(ni.Id), (newRoot, a2) => body(oldRoot, newRoot, a1 === 'mount' && a2 === 'mount' ? 'mount' : 'export')),
        );
  const { warnings, layers } = varWarnings(r.tree.changes, ni, o.model);
  return {
    old: { image: o.oldImage, id: oi.Id, size: oi.Size },
    new: { image: o.newImage, id: ni.Id, size: ni.Size },
    file: o.file,
    files: r.tree.changes,
    summary: summarize(r.tree.changes),
    varWarnings: warnings,
    packages: r.packages,
    kernel: r.kernel,
    kargs: r.kargs,
    access: r.access,
    attribution: layers ? 'layers' : 'none',
    walk: touched ? 'layers' : 'full',
    stats: r.tree.stats,
    timings: { rootfsMs, treeMs, totalMs: Date.now() - t0 },
  };
}
