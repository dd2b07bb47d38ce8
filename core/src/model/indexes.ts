import type { ContainerfileModel, InstructionInfo } from './types';
import type { DocCommand, RemoveEffect } from './effects';
import { isGlobby, segments } from './paths';

/**
 * Per-model lookups the rules share. Each is built once per model (the model is immutable),
 * so rules stay linear in the size of the file instead of rescanning it per finding.
 */
interface Indexes {
  shipped?: InstructionInfo[];
  byName?: Map<string, { info: InstructionInfo; cmd: DocCommand }[]>;
  lineOwner?: Int32Array;
  /** Latest removal (by instruction index) of each distinct path, bucketed by leading literal segments. */
  removals?: Map<string, Removal[]>;
}

export interface Removal {
  path: string;
  recursive: boolean;
  index: number;
  effect: RemoveEffect;
}

/** Bucket key: the first two segments when literal, fewer when a glob starts earlier. */
function bucketKey(p: string): string {
  const segs = segments(p);
  const lit: string[] = [];
  for (const s of segs.slice(0, 2)) {
    if (isGlobby(s)) break;
    lit.push(s);
  }
  // Only a removal of exactly two literal segments or more is keyed by two.
  return lit.length === 2 && segs.length >= 2 ? lit.join('/') : `${lit.join('/')}|short`;
}

const cache = new WeakMap<ContainerfileModel, Indexes>();

function of(model: ContainerfileModel): Indexes {
  let i = cache.get(model);
  if (!i) {
    i = {};
    cache.set(model, i);
  }
  return i;
}

export function shippedList(model: ContainerfileModel): InstructionInfo[] {
  const i = of(model);
  i.shipped ??= model.instructions.filter((x) => x.stage.shipped);
  return i.shipped;
}

/** The instruction covering each line (its index in `model.instructions`), or -1. */
export function lineOwners(model: ContainerfileModel): Int32Array {
  const i = of(model);
  if (!i.lineOwner) {
    const lines = model.doc.lineCount;
    const owner = new Int32Array(lines).fill(-1);
    model.instructions.forEach((ins, n) => {
      for (let l = ins.range.start.line; l <= Math.min(ins.range.end.line, lines - 1); l++) owner[l] = n;
    });
    i.lineOwner = owner;
  }
  return i.lineOwner;
}

export function instructionAtLine(model: ContainerfileModel, line: number): InstructionInfo | undefined {
  const n = lineOwners(model)[line];
  return n === undefined || n < 0 ? undefined : model.instructions[n];
}

function removalIndex(model: ContainerfileModel): Map<string, Removal[]> {
  const i = of(model);
  if (!i.removals) {
    const latest = new Map<string, Removal>();
    for (const info of shippedList(model)) {
      for (const r of info.removes)
        latest.set(`${r.recursive ? 'r' : '-'}${r.path}`, { path: r.path, recursive: r.recursive, index: info.index, effect: r });
    }
    const buckets = new Map<string, Removal[]>();
    for (const r of latest.values()) {
      const k = bucketKey(r.path);
      const list = buckets.get(k) ?? [];
      list.push(r);
      buckets.set(k, list);
    }
    i.removals = buckets;
  }
  return i.removals;
}

/** Removals that could cover `p`: same two leading segments, or shorter/globbier ones. */
export function removalCandidates(model: ContainerfileModel, p: string): Removal[] {
  const idx = removalIndex(model);
  const segs = segments(p);
  const out: Removal[] = [];
  const add = (k: string): void => {
    const l = idx.get(k);
    // A loop, not push(...l): a hostile file's list can outgrow a call's argument room.
    if (l) for (const x of l) out.push(x);
  };
  if (segs.length >= 2) add(`${segs[0]}/${segs[1]}`);
  if (segs.length >= 1) add(`${segs[0]}|short`);
  add('|short');
  return out;
}

/** Commands of the whole file with one of these names, with their instructions, in order. */
export function commandsNamed(model: ContainerfileModel, ...names: string[]): { info: InstructionInfo; cmd: DocCommand }[] {
  const i = of(model);
  if (!i.byName) {
    const m = new Map<string, { info: InstructionInfo; cmd: DocCommand }[]>();
    for (const info of model.instructions) {
      for (const cmd of info.commands) {
        const l = m.get(cmd.name) ?? [];
        l.push({ info, cmd });
        m.set(cmd.name, l);
      }
    }
    i.byName = m;
  }
  const out: { info: InstructionInfo; cmd: DocCommand }[] = [];
  for (const n of names) for (const x of i.byName.get(n) ?? []) out.push(x);
  if (names.length > 1) out.sort((a, b) => a.info.index - b.info.index || a.cmd.order - b.cmd.order);
  return out;
}
