import { parse, TomlError } from 'smol-toml';
import type { Range } from 'vscode-languageserver-types';
import { filesOf } from '../lint/context-files';
import { shippedWrites } from '../lint/helpers';
import { defineRule, type Fix } from '../lint/rule';
import type { ContainerfileModel } from '../model/containerfile';
import { isUnder } from '../model/paths';

export const KARGS_DIR = '/usr/lib/bootc/kargs.d';
const ARCHES = ['x86_64', 'aarch64', 'powerpc64', 's390x', 'riscv64'];
const ARCH_ALIASES: Record<string, string> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  arm64: 'aarch64',
  ppc64le: 'powerpc64',
  ppc64: 'powerpc64',
  riscv: 'riscv64',
};
const KEY_ALIASES: Record<string, string> = {
  match_architectures: 'match-architectures',
  'match-arch': 'match-architectures',
  'supported-arch': 'match-architectures',
  karg: 'kargs',
};

export interface KargsProblem {
  /** 0-based line inside the file. */
  line: number;
  column: number;
  length: number;
  message: string;
  replace?: string;
  /** Valid for bootc's parser, only pointless (an architecture no bootc build reports). */
  advisory?: boolean;
}

function lineOf(text: string, re: RegExp): { line: number; column: number; length: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i] ?? '');
    if (m) return { line: i, column: m.index, length: m[0].length };
  }
  return { line: 0, column: 0, length: (lines[0] ?? '').length };
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Validates a kargs.d TOML file as bootc does: `kargs` (strings) and `match-architectures` only. */
export function checkKargs(text: string): KargsProblem[] {
  let data: Record<string, unknown>;
  try {
    data = parse(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0] ?? e.message;
      return [{ line: Math.max(0, e.line - 1), column: Math.max(0, e.column - 1), length: 1, message: `not valid TOML: ${first}` }];
    }
    return [{ line: 0, column: 0, length: 1, message: 'not valid TOML' }];
  }
  const out: KargsProblem[] = [];
  for (const [key, value] of Object.entries(data)) {
    const at = lineOf(text, new RegExp(`^\\s*\\[?\\s*["']?${esc(key)}["']?\\s*[=\\]]`));
    const keyAt = {
      ...at,
      column: at.column + (/^\s*\[?\s*["']?/.exec(text.split('\n')[at.line] ?? '')?.[0].length ?? 0) - at.column,
      length: key.length,
    };
    if (key === 'kargs') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        out.push({ ...keyAt, message: 'kargs must be an array of strings, e.g. kargs = ["console=ttyS0,115200n8"]' });
    } else if (key === 'match-architectures') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        out.push({ ...keyAt, message: `match-architectures must be an array of strings from ${ARCHES.join(', ')}` });
        continue;
      }
      for (const v of value) {
        if (ARCHES.includes(v)) continue;
        const vAt = lineOf(text, new RegExp(`["']${esc(v)}["']`));
        out.push({
          line: vAt.line,
          column: vAt.column + 1,
          length: v.length,
          message: `unknown architecture "${v}": bootc uses Rust names (${ARCHES.join(', ')})${ARCH_ALIASES[v] ? `; did you mean ${ARCH_ALIASES[v]}?` : ''}`,
          replace: ARCH_ALIASES[v],
          advisory: true,
        });
      }
    } else {
      const alias = KEY_ALIASES[key];
      const table = typeof value === 'object' && value !== null && !Array.isArray(value);
      out.push({
        ...keyAt,
        message: `unknown key "${key}"${table ? ' (tables are not allowed)' : ''}: only kargs and match-architectures are allowed${alias ? `; did you mean ${alias}?` : ''}`,
        replace: alias,
      });
    }
  }
  if (!('kargs' in data))
    out.push({ line: 0, column: 0, length: (text.split('\n')[0] ?? '').length, message: 'missing required key kargs' });
  return out;
}

function bodyRange(model: ContainerfileModel, content: Range, p: KargsProblem): Range {
  const start = model.doc.offsetAt(content.start);
  const end = model.doc.offsetAt(content.end);
  const lines = model.doc.getText(content).split('\n');
  let off = start;
  for (let i = 0; i < p.line; i++) off += (lines[i] ?? '').length + 1;
  let a = off + p.column;
  // Errors at the end of the document ("unexpected end") point at its last character.
  if (a >= end) a = Math.max(start, end - 1);
  const b = Math.min(end, a + Math.max(p.length, 1));
  return { start: model.doc.positionAt(a), end: model.doc.positionAt(Math.max(b, a + 1)) };
}

export default defineRule({
  meta: {
    id: 'kargs-syntax',
    severity: 'error',
    category: 'files',
    description:
      'A /usr/lib/bootc/kargs.d/*.toml file that bootc cannot parse: only `kargs` (strings) and `match-architectures` are allowed.',
    fixable: true,
    why: 'bootc reads kernel arguments from /usr/lib/bootc/kargs.d/*.toml with a strict schema: `kargs` (an array of strings, required) and optionally `match-architectures` (x86_64, aarch64, powerpc64, s390x, riscv64). Anything else, such as `[kargs] append = [...]` or `match_architectures`, is a parse error: `bootc container lint` fails (`bootc-kargs`) and install or upgrade stops.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/bootc/kargs.d/10-console.toml\n[kargs]\nappend = ["console=ttyS0"]\nEOF',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/bootc/kargs.d/10-console.toml\nkargs = ["console=ttyS0,115200n8"]\nmatch-architectures = ["x86_64"]\nEOF',
  },
  check({ model, report, buildContext }) {
    for (const pw of shippedWrites(model)) {
      if (!isUnder(pw.write.path, KARGS_DIR)) continue;
      for (const f of filesOf(pw, buildContext)) {
        if (!f.path.endsWith('.toml') || f.content === undefined) continue;
        for (const p of checkKargs(f.content)) {
          const cr = pw.write.contentRange;
          if (f.heredoc && cr) {
            const range = bodyRange(model, cr, p);
            const fixes: Fix[] = p.replace
              ? [{ title: `Replace with ${p.replace}`, edits: [{ range, newText: p.replace }], preferred: true }]
              : [];
            report({ range, message: `${f.path}: ${p.message}`, fixes });
          } else {
            report({
              range: f.source?.range ?? pw.write.range,
              message: `${f.source?.value ?? f.path} (line ${p.line + 1}): ${p.message}`,
            });
          }
        }
      }
    }
  },
});
