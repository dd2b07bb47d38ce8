import * as path from 'node:path';
import { allRuleMeta, docsUrl, ruleMeta, type Finding, type RuleMeta } from '../../core/src';

/** One finding as `bootc-lab lint --format json` prints it: 1-based lines and columns. */
export interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  source: 'containerfile' | 'dockerfile' | 'image' | 'bootc';
}

/** 1-based position fields of a range, as the JSON and SARIF outputs print them. */
export function jsonPosition(file: string, r: Finding['range']): Pick<JsonFinding, 'file' | 'line' | 'column' | 'endLine' | 'endColumn'> {
  return { file, line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
}

export function toJson(file: string, f: Finding): JsonFinding {
  // Spelled out, not spread from jsonPosition(): V8's object spread made this 5-10× slower, which
  // showed on the thousands of findings of a large file.
  const r = f.range;
  return {
    file,
    line: r.start.line + 1,
    column: r.start.character + 1,
    endLine: r.end.line + 1,
    endColumn: r.end.character + 1,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    source: f.source,
  };
}

export function formatText(all: JsonFinding[], color: boolean): string {
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevColor = { error: '31', warning: '33', info: '36' };
  const lines = all.map(
    (f) => `${f.file}:${f.line}:${f.column}: ${paint(sevColor[f.severity], f.severity)} ${paint('2', `[${f.rule}]`)} ${f.message}`,
  );
  const n = (s: string): number => all.filter((f) => f.severity === s).length;
  lines.push(
    `${all.length === 0 ? 'No problems' : `${all.length} problem${all.length === 1 ? '' : 's'}`} (${n('error')} error, ${n('warning')} warning, ${n('info')} info)`,
  );
  return lines.join('\n') + '\n';
}

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** SARIF 2.1.0 as GitHub code scanning accepts it; paths relative to the working directory. */
export function formatSarif(all: JsonFinding[], version: string, cwd: string): string {
  const metas = new Map<string, RuleMeta>(allRuleMeta().map((m) => [m.id, m]));
  const used = [...new Set(all.map((f) => f.rule))].sort();
  const rules = used.map((id) => {
    const m = metas.get(id) ?? ruleMeta(id);
    return {
      id,
      name: id,
      shortDescription: { text: m?.description ?? id },
      fullDescription: { text: m?.why || m?.description || id },
      helpUri: docsUrl(id),
      help: { text: `${m?.description ?? id} See ${docsUrl(id)}` },
      defaultConfiguration: { level: LEVEL[m?.severity ?? 'warning'] },
      properties: { category: m?.category ?? 'syntax' },
    };
  });
  const results = all.map((f) => ({
    ruleId: f.rule,
    ruleIndex: used.indexOf(f.rule),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: toUri(f.file, cwd), uriBaseId: '%SRCROOT%' },
          region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
        },
      },
    ],
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'bootc-lab', informationUri: 'https://github.com/bootc-lab/bootc-lab', semanticVersion: version, version, rules },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `file://${cwd.endsWith('/') ? cwd : cwd + '/'}` } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

function toUri(file: string, cwd: string): string {
  const rel = path.isAbsolute(file) ? path.relative(cwd, file) : file;
  return rel.split(path.sep).map(encodeURIComponent).join('/');
}
