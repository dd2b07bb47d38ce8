import * as assert from 'node:assert/strict';
import * as posix from 'node:path/posix';
import type { TextEdit } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { lintText, mergeConfig, type Finding, type LintConfig } from '../core/src';
import type { BuildContext } from '../core/src/lint/rule';

/** Lints with bootc rules forced on (rule tests use fragments without bootc signals). */
export async function lint(
  code: string,
  opts: { config?: Partial<LintConfig>; context?: Record<string, string> } = {},
): Promise<Finding[]> {
  const config = mergeConfig({ detect: 'always', syntax: false }, opts.config ?? {});
  const ctx: BuildContext | undefined = opts.context ? mapContext(opts.context) : undefined;
  const r = await lintText(code, 'file:///ctx/Containerfile', { config, buildContext: ctx });
  return r.findings;
}

/** A build context held in a map of relative file paths to their text; directories are implied by the paths. */
export function mapContext(files: Record<string, string>): BuildContext {
  const norm = (p: string): string => posix.normalize(p).replace(/^\.\/?|\/$/g, '');
  return {
    dir: '/ctx',
    read: (p) => files[norm(p)],
    list: (d) => {
      const dir = norm(d);
      const inside = Object.keys(files).filter((k) => dir === '' || k.startsWith(`${dir}/`));
      if (inside.length === 0) return undefined;
      return inside.map((k) => k.slice(dir === '' ? 0 : dir.length + 1)).filter((k) => !k.includes('/'));
    },
  };
}

export function fmtRange(f: { range: Finding['range'] }): string {
  const { start, end } = f.range;
  return `${start.line + 1}:${start.character + 1}-${end.line + 1}:${end.character + 1}`;
}

/**
 * Strips «…» markers from a case and returns the text plus the marked ranges, so each test says
 * exactly which words a finding must point at.
 */
export function marked(src: string): { text: string; ranges: string[] } {
  let text = '';
  const ranges: string[] = [];
  const open: { line: number; col: number }[] = [];
  let line = 0;
  let col = 0;
  for (const ch of src) {
    if (ch === '«') {
      open.push({ line, col });
      continue;
    }
    if (ch === '»') {
      const s = open.pop();
      if (!s) throw new Error('unbalanced » in test case');
      ranges.push(`${s.line + 1}:${s.col + 1}-${line + 1}:${col + 1}`);
      continue;
    }
    text += ch;
    if (ch === '\n') {
      line++;
      col = 0;
    } else col += ch.length;
  }
  return { text, ranges: ranges.sort(byPos) };
}

function byPos(a: string, b: string): number {
  const n = (s: string): number[] => s.split(/[-:]/).map(Number);
  const x = n(a);
  const y = n(b);
  for (let i = 0; i < 4; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('x', 'dockerfile', 0, text), edits);
}

/** Findings of one rule must sit exactly on the marked ranges. */
export async function expectRule(rule: string, src: string, opts: Parameters<typeof lint>[1] = {}): Promise<Finding[]> {
  const { text, ranges } = marked(src);
  const got = (await lint(text, opts)).filter((f) => f.rule === rule);
  assert.deepEqual(got.map(fmtRange).sort(byPos), ranges, `${rule} on:\n${text}\nmessages: ${got.map((f) => f.message).join(' | ')}`);
  return got;
}
