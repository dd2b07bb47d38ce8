import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver-types';
import type { ContainerfileModel } from '../model/containerfile';

/** Outline: one symbol per stage, its instructions as children. */
export function documentSymbols(model: ContainerfileModel): DocumentSymbol[] {
  return model.stages.map((s) => {
    const first = s.instructions[0]?.range ?? s.imageRange;
    const last = s.instructions[s.instructions.length - 1]?.range ?? first;
    const range = { start: first.start, end: last.end };
    const name = s.name ? `${s.name} (${s.image})` : `stage ${s.index} (${s.image})`;
    return {
      name,
      detail: s.final ? 'final stage' : s.shipped ? 'base of the final stage' : 'build stage',
      kind: SymbolKind.Module,
      range,
      selectionRange: s.imageRange,
      children: s.instructions.map((i) => ({
        name: i.keyword,
        detail: (i.ins.getArgumentsContent() ?? '').replace(/\s+/g, ' ').slice(0, 80),
        kind: i.keyword === 'RUN' ? SymbolKind.Function : i.keyword === 'FROM' ? SymbolKind.Class : SymbolKind.Field,
        range: i.range,
        selectionRange: i.ins.getInstructionRange(),
      })),
    };
  });
}
