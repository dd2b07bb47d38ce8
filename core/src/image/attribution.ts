import * as fs from 'node:fs';
import * as path from 'node:path';
import { rootStage, shippedInstructions, type ContainerfileModel, type InstructionInfo } from '../model/containerfile';
import type { ImageInspect } from '../podman/podman';

/** One entry of the image history, with the layer it added (if any) and the instruction that made it. */
export interface HistoryLayer {
  createdBy: string;
  empty: boolean;
  /** Index into the image's layers, when this entry added one. */
  layer?: number;
  /** The Containerfile instruction, or undefined for the base image's own history. */
  instruction?: InstructionInfo;
}

const NOP = /#\(nop\)\s+([A-Z]+)/;

function keywordOf(createdBy: string): string {
  const m = NOP.exec(createdBy);
  return m?.[1] ?? 'RUN';
}

/**
 * Matches history entries to the Containerfile's instructions from the newest backwards: podman
 * records one entry per instruction of the final image's stages (FROM excepted), so what is left
 * over at the start belongs to the base image.
 */
export function mapHistory(inspect: ImageInspect, model?: ContainerfileModel): HistoryLayer[] {
  const history = (inspect.History ?? []).map((h) => ({ createdBy: h.created_by ?? '', empty: !!h.empty_layer }));
  let layer = 0;
  const out: HistoryLayer[] = history.map((h) => ({ ...h, layer: h.empty ? undefined : layer++ }));
  if (!model) return out;
  const instructions = shippedInstructions(model).filter((i) => i.keyword !== 'FROM');
  let h = out.length - 1;
  for (let i = instructions.length - 1; i >= 0 && h >= 0; i--) {
    const ins = instructions[i];
    if (!ins) continue;
    const entry = out[h];
    if (!entry) break;
    if (keywordOf(entry.createdBy) === ins.keyword || (ins.keyword === 'ONBUILD' && /ONBUILD/.test(entry.createdBy))) {
      entry.instruction = ins;
      h--;
    }
  }
  return out;
}

/** The image's layer directories, bottom to top, when the storage driver is overlay and readable here. */
export function layerDirs(inspect: ImageInspect): string[] | undefined {
  const g = inspect.GraphDriver;
  if (g?.Name !== 'overlay' || !g.Data?.UpperDir) return undefined;
  const lower = g.Data.LowerDir ? g.Data.LowerDir.split(':').reverse() : [];
  const dirs = [...lower, g.Data.UpperDir];
  if (inspect.RootFS?.Layers && inspect.RootFS.Layers.length !== dirs.length) return undefined;
  if (!dirs.every((d) => fs.existsSync(d))) return undefined;
  return dirs;
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The topmost layer that put `p` there (or, for something missing, that whited it out). */
export function layerOfPath(dirs: string[], p: string): number | undefined {
  const rel = p.replace(/^\/+/, '');
  const whiteout = path.join(path.dirname(rel), `.wh.${path.basename(rel)}`);
  for (let i = dirs.length - 1; i >= 0; i--) {
    const d = dirs[i];
    if (!d) continue;
    if (exists(path.join(d, rel)) || exists(path.join(d, whiteout))) return i;
  }
  return undefined;
}

/** The topmost layer whose /etc/passwd (or /etc/group) lists the name. */
export function layerOfAccount(dirs: string[], kind: 'user' | 'group', name: string): number | undefined {
  const file = kind === 'user' ? 'etc/passwd' : 'etc/group';
  for (let i = dirs.length - 1; i >= 0; i--) {
    const d = dirs[i];
    if (!d) continue;
    let text: string;
    try {
      text = fs.readFileSync(path.join(d, file), 'utf8');
    } catch {
      continue;
    }
    if (text.split('\n').some((l) => l.startsWith(`${name}:`))) return i;
  }
  return undefined;
}

export type Owner = { kind: 'instruction'; instruction: InstructionInfo } | { kind: 'base' } | { kind: 'unknown' };

/** Who owns a layer: the instruction that made it, or the base image. */
export function ownerOfLayer(history: HistoryLayer[], layer: number | undefined, model?: ContainerfileModel): Owner {
  if (layer === undefined) return { kind: 'unknown' };
  const entry = history.find((h) => h.layer === layer);
  if (entry?.instruction) return { kind: 'instruction', instruction: entry.instruction };
  return model && rootStage(model) ? { kind: 'base' } : { kind: 'unknown' };
}
