import type { ContainerfileModel } from '../model/containerfile';
import { instructionAtLine } from '../model/indexes';

export interface Suppressions {
  global: Set<string>;
  /** Instruction start line → rules ignored for that instruction. */
  byInstructionLine: Map<number, Set<string>>;
}

const PRAGMA = /^\s*#\s*bootc-lint\s+(global\s+)?ignore\s*=\s*([\w,\s-]+?)\s*(?:#.*)?$/;

/**
 * `# bootc-lint ignore=a,b` above an instruction (comment lines may sit between) and
 * `# bootc-lint global ignore=a` anywhere, the same syntax hadolint users know.
 */
export function readSuppressions(model: ContainerfileModel): Suppressions {
  const out: Suppressions = { global: new Set(), byInstructionLine: new Map() };
  const lines = model.text.split('\n');
  const starts = new Set(model.instructions.map((i) => i.range.start.line));
  const inside = (line: number): boolean => {
    const i = instructionAtLine(model, line);
    return !!i && i.range.start.line < line;
  };
  lines.forEach((text, line) => {
    const m = PRAGMA.exec(text);
    if (!m || inside(line)) return;
    const rules = (m[2] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (m[1]) {
      rules.forEach((r) => out.global.add(r));
      return;
    }
    for (let l = line + 1; l < lines.length; l++) {
      if (starts.has(l)) {
        const set = out.byInstructionLine.get(l) ?? new Set<string>();
        rules.forEach((r) => set.add(r));
        out.byInstructionLine.set(l, set);
        return;
      }
      const t = (lines[l] ?? '').trim();
      if (t !== '' && !t.startsWith('#')) return;
    }
  });
  return out;
}

export function isSuppressed(model: ContainerfileModel, s: Suppressions, rule: string, line: number): boolean {
  if (s.global.has(rule) || s.global.has('all')) return true;
  if (s.byInstructionLine.size === 0) return false;
  const info = instructionAtLine(model, line);
  if (!info) return false;
  const set = s.byInstructionLine.get(info.range.start.line);
  return !!set && (set.has(rule) || set.has('all'));
}
