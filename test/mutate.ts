import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { seededRandom } from '../core/src/measure/stats';

/**
 * Hostile Containerfiles for the fuzz test and the fuzz bench: real fixtures mutated the ways files
 * really break while someone types, pastes or generates them. Seeded, so a failure can be replayed.
 */

/** The same seeded PRNG the measurement statistics use (mulberry32): a failure replays from its seed. */
export const rng = seededRandom;

export function corpus(): string[] {
  const dirs = [path.join(__dirname, 'fixtures'), path.join(__dirname, '../examples')];
  const out: string[] = [];
  for (const d of dirs) {
    for (const f of fs.readdirSync(d)) if (/(^|\.)(Containerfile|Dockerfile)$/.test(f)) out.push(fs.readFileSync(path.join(d, f), 'utf8'));
  }
  return out;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, n: number): number => Math.floor(r() * n);

const NASTY = [
  '\0',
  '\r',
  '\t',
  '\\',
  '$',
  '${',
  '}',
  '"',
  "'",
  '`',
  '<<',
  '<<-EOF',
  '#',
  '\u2028',
  '\uFEFF',
  '\uD800',
  '\uDFFF',
  '😀',
  'é',
  '\u0301',
  '\x1b[31m',
  '--mount=',
  '&&',
  '||',
  ';',
  '|',
  '(',
  ')',
  '$(',
  '{',
  '[',
  ']',
  '\n',
];

const SHAPES = [
  'RUN <<EOF\nset -e\nmkdir -p /var/lib/x\n',
  'COPY <<EOF /usr/lib/bootc/kargs.d/10.toml\nkargs = ["a"\n',
  'RUN cat <<"EOT" > /etc/x && echo $(cat <<EOF\n',
  'RUN echo "unterminated && mkdir /var/x\n',
  "RUN echo 'unterminated && rm -rf /var\n",
  'ARG X="${X:-${Y:-${Z:-${X}}}}"\nFROM ${X}${\n',
  'FROM ${BASE:-quay.io/fedora/fedora-bootc}:${',
  'RUN --mount=type=bind,from=,target= \\\n',
  'LABEL containers.bootc=\n',
  'RUN sh -c "sh -c \'sh -c \\"mkdir /var/$(\\"\'"\n',
  'WORKDIR $(\nRUN cd ../../.. && mv ./* /boot/\n',
  'RUN a && b || c && d | e ; (f && (g || (h\n',
  'ONBUILD RUN echo\nHEALTHCHECK CMD\nSHELL ["/bin/bash",\n',
  '# bootc-lint ignore=\n# bootc-lint global ignore=,,,\n',
  'RUN curl -fsSLo\nRUN tar -xzf\nRUN git clone\nRUN make -C\n',
  'RUN podman --root\nRUN skopeo --override-arch\n',
];

function lines(s: string): string[] {
  return s.split('\n');
}

const MUTATIONS: ((r: Rand, s: string) => string)[] = [
  // delete lines
  (r, s) => {
    const l = lines(s);
    const n = 1 + int(r, Math.max(1, l.length / 3));
    for (let i = 0; i < n && l.length; i++) l.splice(int(r, l.length), 1);
    return l.join('\n');
  },
  // duplicate lines or blocks
  (r, s) => {
    const l = lines(s);
    const at = int(r, l.length);
    const len = 1 + int(r, 5);
    const times = 1 + int(r, 20);
    const block = l.slice(at, at + len);
    for (let i = 0; i < times; i++) l.splice(at, 0, ...block);
    return l.join('\n');
  },
  // reverse all or part of the lines
  (r, s) => {
    const l = lines(s);
    const a = int(r, l.length);
    const b = a + int(r, l.length - a + 1);
    return [...l.slice(0, a), ...l.slice(a, b).reverse(), ...l.slice(b)].join('\n');
  },
  // truncate mid-token
  (r, s) => s.slice(0, int(r, s.length + 1)),
  // random bytes and nasty tokens
  (r, s) => {
    let t = s;
    const n = 1 + int(r, 30);
    for (let i = 0; i < n; i++) {
      const at = int(r, t.length + 1);
      const ins = r() < 0.5 ? pick(r, NASTY) : String.fromCharCode(int(r, 0x3000));
      t = t.slice(0, at) + ins + t.slice(at);
    }
    return t;
  },
  // a 100 kB line
  (r, s) => {
    const l = lines(s);
    const unit = pick(r, ['a', 'x ', '$X', '/var/lib/', '"', '\\ ', '&& mkdir /var/', '${A:-', '(']);
    const body = unit.repeat(Math.ceil(100_000 / unit.length)).slice(0, 100_000);
    l.splice(int(r, l.length + 1), 0, pick(r, ['RUN ', 'ARG X=', 'COPY ', 'LABEL a=', '', '# ']) + body);
    return l.join('\n');
  },
  // unterminated heredocs, quotes and other shapes
  (r, s) => {
    const l = lines(s);
    l.splice(int(r, l.length + 1), 0, pick(r, SHAPES));
    return l.join('\n');
  },
  // hundreds of continuation lines
  (r, s) => {
    const l = lines(s);
    const n = 100 + int(r, 600);
    const cont = Array.from({ length: n }, (_, i) => (r() < 0.1 ? '' : r() < 0.1 ? '  # comment' : `  && mkdir -p /var/lib/d${i} \\`));
    l.splice(int(r, l.length + 1), 0, 'RUN true \\', ...cont);
    return l.join('\n');
  },
  // CRLF, lone CR, mixed
  (r, s) => {
    const mode = int(r, 3);
    if (mode === 0) return s.replace(/\n/g, '\r\n');
    if (mode === 1) return s.replace(/\n/g, () => (r() < 0.3 ? '\r' : '\n'));
    return s.replace(/\n/g, () => pick(r, ['\n', '\r\n', '\r', '\n\r']));
  },
  // splice in a slice of another fixture
  (r, s, other = '') => {
    const o = lines(other);
    const a = int(r, o.length);
    const l = lines(s);
    l.splice(int(r, l.length + 1), 0, ...o.slice(a, a + 1 + int(r, 10)));
    return l.join('\n');
  },
];

/** The i-th hostile document of a seeded run: 1 to 4 mutations of a fixture. */
export function hostile(seed: number, i: number, sources: string[]): { text: string; mutations: number[] } {
  const r = rng(seed * 100_003 + i);
  let text = pick(r, sources);
  const n = 1 + int(r, 4);
  const applied: number[] = [];
  for (let k = 0; k < n; k++) {
    const m = int(r, MUTATIONS.length);
    applied.push(m);
    const f = MUTATIONS[m];
    if (f) text = (f as (r: Rand, s: string, other: string) => string)(r, text, pick(r, sources));
  }
  return { text, mutations: applied };
}

export interface PlainRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/**
 * A checker for one document: why a range does not fit it as an LSP client sees it (lines split at
 * \n, \r\n and \r; characters in UTF-16 units), or undefined.
 */
export function rangeChecker(text: string): (range: PlainRange) => string | undefined {
  const doc = TextDocument.create('x', 'dockerfile', 0, text);
  const lineLength = (line: number): number => {
    const start = doc.offsetAt({ line, character: 0 });
    const next = line + 1 < doc.lineCount ? doc.offsetAt({ line: line + 1, character: 0 }) : text.length;
    return text.slice(start, next).replace(/\r?\n$|\r$/, '').length;
  };
  return (range) => {
    for (const [name, p] of [
      ['start', range.start],
      ['end', range.end],
    ] as const) {
      if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0)
        return `${name} ${JSON.stringify(p)}`;
      if (p.line >= doc.lineCount) return `${name} line ${p.line} >= ${doc.lineCount} lines`;
      const len = lineLength(p.line);
      if (p.character > len) return `${name} character ${p.character} > length ${len} of line ${p.line}`;
    }
    if (range.start.line > range.end.line || (range.start.line === range.end.line && range.start.character > range.end.character))
      return `start after end ${JSON.stringify(range)}`;
    return undefined;
  };
}
