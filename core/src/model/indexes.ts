import type { ContainerfileModel, InstructionInfo } from './containerfile';
import type { RemoveEffect } from './effects';

/**
 * Per-model lookups the rules share. Each is built once per model (the model is immutable),
 * so rules stay linear in the size of the file instead of rescanning it per finding.
 */
interface Indexes {
  shipped?: InstructionInfo[];
  lineOwner?: Int32Array;
  /** Latest removal (by instruction index) of each distinct path and recursiveness. */
  removals?: { path: string; recursive: boolean; index: number; effect: RemoveEffect }[];
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

export function removalIndex(model: ContainerfileModel): NonNullable<Indexes['removals']> {
  const i = of(model);
  if (!i.removals) {
    const latest = new Map<string, { path: string; recursive: boolean; index: number; effect: RemoveEffect }>();
    for (const info of shippedList(model)) {
      for (const r of info.removes)
        latest.set(`${r.recursive ? 'r' : '-'}${r.path}`, { path: r.path, recursive: r.recursive, index: info.index, effect: r });
    }
    i.removals = [...latest.values()];
  }
  return i.removals;
}
