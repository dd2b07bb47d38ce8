import type { TextEdit } from 'vscode-languageserver-types';
import type { ContainerfileModel } from '../model/containerfile';

/** The edit for "Ignore RULE for this instruction": extends an existing pragma above, or adds one. */
export function ignoreForInstruction(model: ContainerfileModel, line: number, rule: string): TextEdit | undefined {
  const info = model.instructions.find((i) => i.range.start.line <= line && i.range.end.line >= line);
  if (!info) return undefined;
  const start = info.range.start.line;
  const lines = model.text.split('\n');
  const above = lines[start - 1] ?? '';
  const m = /^(\s*#\s*bootc-lint\s+ignore\s*=\s*)([\w,\s-]*?)(\s*)$/.exec(above.replace(/\r$/, ''));
  if (start > 0 && m) {
    const endCol = (m[1] ?? '').length + (m[2] ?? '').length;
    const pos = { line: start - 1, character: endCol };
    return { range: { start: pos, end: pos }, newText: `,${rule}` };
  }
  const indent = /^\s*/.exec(lines[start] ?? '')?.[0] ?? '';
  const pos = { line: start, character: 0 };
  return { range: { start: pos, end: pos }, newText: `${indent}# bootc-lint ignore=${rule}\n` };
}

/** The edit for "Ignore RULE in this file": after the parser directives, which must stay first. */
export function ignoreForFile(model: ContainerfileModel, rule: string): TextEdit {
  const lines = model.text.split('\n');
  let line = 0;
  while (line < lines.length && /^\s*#\s*[a-zA-Z]\w*\s*=/.test(lines[line] ?? '')) line++;
  const existing = lines.findIndex((l) => /^\s*#\s*bootc-lint\s+global\s+ignore\s*=/.test(l));
  if (existing >= 0) {
    const l = (lines[existing] ?? '').replace(/\r$/, '').replace(/\s+$/, '');
    const pos = { line: existing, character: l.length };
    return { range: { start: pos, end: pos }, newText: `,${rule}` };
  }
  const pos = { line, character: 0 };
  return { range: { start: pos, end: pos }, newText: `# bootc-lint global ignore=${rule}\n` };
}
