import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageInspect } from '../podman/podman';
import { layerDirs } from './attribution';
import type { TouchedPaths } from './tree-diff';

/** Adds every path of one overlay layer directory (`.wh.` whiteouts as the path they delete) to `into`. */
export function collectLayer(dir: string, into: TouchedPaths, rel = ''): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === '.wh..wh..opq') continue;
    const name = e.name.startsWith('.wh.') ? e.name.slice(4) : e.name;
    const p = `${rel}/${name}`;
    into.add(p);
    if (e.isDirectory()) collectLayer(dir, into, p);
  }
}

/**
 * What the layers above the two images' common bottom layers touch. Undefined when the layers are
 * not readable here (not overlay, remote podman) or the images share no layer, where a full walk
 * is as cheap as listing every layer.
 */
export function touchedOutsideSharedLayers(a: ImageInspect, b: ImageInspect): TouchedPaths | undefined {
  const la = a.RootFS?.Layers ?? [];
  const lb = b.RootFS?.Layers ?? [];
  const da = layerDirs(a);
  const db = layerDirs(b);
  if (!da || !db) return undefined;
  let shared = 0;
  while (shared < la.length && shared < lb.length && la[shared] === lb[shared]) shared++;
  if (shared === 0) return undefined;
  const touched: TouchedPaths = new Set();
  for (const d of [...da.slice(shared), ...db.slice(shared)]) collectLayer(d, touched);
  // Overlay layers carry their parent directories, but a walk must never skip an ancestor of a touched path.
  for (const p of [...touched]) {
    for (let q = path.posix.dirname(p); q !== '/' && q !== '.' && !touched.has(q); q = path.posix.dirname(q)) touched.add(q);
  }
  return touched;
}
