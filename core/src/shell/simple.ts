import { stripWrappers, type Redirect, type SimpleCommand, type Word } from './types';

/**
 * Most RUN scripts are plain command lists: words, quotes, `$VAR`, `&&`, `||`, `|`, `;`, output
 * redirects. For those this reads the commands directly, the way the tree-sitter walk in
 * commands.ts does, at a fraction of the cost (parsing and walking the tree through WebAssembly was
 * ~60% of a 10,000-line lint). Anything else (substitutions, subshells, compound commands,
 * heredocs, escapes, comments not at a line start, nested `sh -c`) returns undefined and goes to
 * tree-sitter: the fast path only ever answers where its answer is the same, which
 * test/unit/shell-simple.test.ts checks against tree-sitter on every RUN of the test corpus.
 */

type Tok =
  | { t: 'word'; w: Word; assign: boolean }
  | { t: 'op'; op: '&&' | '||' | '|' | ';' | '\n'; start: number; end: number }
  | { t: 'redir'; op: string; start: number; end: number; target: Word };

const PLAIN = /[A-Za-z0-9_./:@%+,=~^*?-]/;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const RESERVED = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'in',
  'function', 'select', 'time', 'coproc', '!', '[[', ']]', '{', '}',
  // tree-sitter's declaration and unset commands are not commands; shells get their own walk (nested).
  'export', 'declare', 'local', 'readonly', 'typeset', 'unset', 'let', 'sh', 'bash', 'dash', 'zsh',
]); // prettier-ignore

class Reject extends Error {}
const reject = (): never => {
  throw new Reject();
};

/** `$NAME` or `${NAME}` at i: its end, or -1. */
function expansionEnd(s: string, i: number): number {
  if (s[i + 1] === '{') {
    NAME.lastIndex = i + 2;
    const m = NAME.exec(s);
    return m && s[i + 2 + m[0].length] === '}' ? i + 3 + m[0].length : -1;
  }
  NAME.lastIndex = i + 1;
  const m = NAME.exec(s);
  return m ? i + 1 + m[0].length : -1;
}

/** One word starting at i (a concatenation of plain text, quotes and expansions). */
function readWord(s: string, i: number): { w: Word; end: number } {
  const start = i;
  let value = '';
  let dynamic = false;
  let parts = 0;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (c === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) reject();
      value += s.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      let j = i + 1;
      let inner = false;
      while (j < s.length && s[j] !== '"') {
        const d = s[j];
        if (d === '\\' || d === '`') reject();
        if (d === '$') {
          const e = expansionEnd(s, j);
          if (e < 0) reject();
          inner = true;
          j = e;
        } else j++;
      }
      if (j >= s.length) reject();
      value += s.slice(i + 1, j);
      dynamic ||= inner;
      i = j + 1;
    } else if (c === '$') {
      const e = expansionEnd(s, i);
      if (e < 0) reject();
      value += s.slice(i, e);
      dynamic = true;
      i = e;
    } else if (PLAIN.test(c)) {
      let j = i + 1;
      while (j < s.length && PLAIN.test(s[j] ?? '')) j++;
      value += s.slice(i, j);
      i = j;
    } else break;
    parts++;
  }
  // A word glued to a line continuation (`a\<newline>b` is one word to the shell).
  if (parts === 0 || (s[i] === '\\' && s[i + 1] === '\n')) reject();
  return { w: { value, start, end: i, dynamic }, end: i };
}

function tokenize(s: string): Tok[] {
  // A continuation into nothing: tree-sitter ends the script with an empty error node there.
  if (s.trimEnd().endsWith('\\')) reject();
  const out: Tok[] = [];
  let i = 0;
  let lineStart = true;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\') {
      if (s[i + 1] !== '\n') reject();
      i += 2;
      continue;
    }
    if (c === '\n') {
      out.push({ t: 'op', op: '\n', start: i, end: i + 1 });
      i++;
      lineStart = true;
      continue;
    }
    if (c === '#') {
      // A comment only where nothing precedes it on its line: elsewhere `#` may be part of a word.
      if (!lineStart) reject();
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
      continue;
    }
    lineStart = false;
    if (c === '&' || c === '|') {
      if (s[i + 1] === c) {
        out.push({ t: 'op', op: c === '&' ? '&&' : '||', start: i, end: i + 2 });
        i += 2;
      } else if (c === '|' && s[i + 1] !== '&') {
        out.push({ t: 'op', op: '|', start: i, end: i + 1 });
        i++;
      } else if (c === '&' && s[i + 1] === '>') {
        i = readRedirect(s, i, i, out);
      } else reject();
      continue;
    }
    if (c === ';') {
      if (s[i + 1] === ';' || s[i + 1] === '&') reject();
      out.push({ t: 'op', op: ';', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '>') {
      i = readRedirect(s, i, i, out);
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i;
      while (/[0-9]/.test(s[j] ?? '')) j++;
      if (s[j] === '>') {
        i = readRedirect(s, j, i, out);
        continue;
      }
    }
    const { w, end } = readWord(s, i);
    out.push({ t: 'word', w, assign: /^[A-Za-z_][A-Za-z0-9_]*=/.test(s.slice(i, end)) });
    i = end;
  }
  return out;
}

/** An output redirect whose operator starts at `opAt` (its file descriptor, if any, at `start`). */
function readRedirect(s: string, opAt: number, start: number, out: Tok[]): number {
  const m = /^(?:&>>|&>|>>|>&|>\||>)/.exec(s.slice(opAt, opAt + 3));
  if (!m) reject();
  const op = m?.[0] ?? '>';
  let i = opAt + op.length;
  while (s[i] === ' ' || s[i] === '\t') i++;
  const { w, end } = readWord(s, i);
  out.push({ t: 'redir', op, start, end, target: w });
  return end;
}

interface Cmd {
  words: Word[];
  start: number;
  end: number;
  redirects: Redirect[];
  /** End of the command with its redirects: where its statement's text ends. */
  stmtEnd: number;
}

/** Reads the whole script into statements → and-or lists → pipelines → commands. */
function parse(toks: Tok[], text: string): { ops: ('&&' | '||')[]; pipes: Cmd[][] }[] {
  const statements: { ops: ('&&' | '||')[]; pipes: Cmd[][] }[] = [];
  let k = 0;
  const skipNewlines = (): void => {
    while (toks[k]?.t === 'op' && (toks[k] as { op: string }).op === '\n') k++;
  };
  const command = (): Cmd => {
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    let start = -1;
    let sawName = false;
    for (;;) {
      const t = toks[k];
      if (!t || t.t === 'op') break;
      if (t.t === 'redir') {
        if (!sawName) reject();
        redirects.push({ op: t.op, target: t.target });
        k++;
        continue;
      }
      if (redirects.length) reject();
      if (start < 0) start = t.w.start;
      if (!sawName && t.assign) {
        k++;
        continue;
      }
      if (!sawName && (RESERVED.has(t.w.value) || t.w.value.includes('='))) reject();
      // tree-sitter's command_name node is not a word: the walk takes its raw text as a pattern.
      words.push(sawName ? t.w : { value: text.slice(t.w.start, t.w.end), start: t.w.start, end: t.w.end, dynamic: true });
      sawName = true;
      k++;
    }
    if (!sawName) reject();
    const last = words[words.length - 1];
    const lastRedirect = redirects[redirects.length - 1];
    return { words, start, end: last?.end ?? start, redirects, stmtEnd: lastRedirect?.target?.end ?? last?.end ?? start };
  };
  const pipeline = (): Cmd[] => {
    const cmds = [command()];
    while (toks[k]?.t === 'op' && (toks[k] as { op: string }).op === '|') {
      k++;
      skipNewlines();
      cmds.push(command());
    }
    return cmds;
  };
  for (;;) {
    while (toks[k]?.t === 'op' && ['\n', ';'].includes((toks[k] as { op: string }).op)) {
      // `;` must follow a statement: `; a` and `a ;; b` are tree-sitter's to judge.
      if ((toks[k] as { op: string }).op === ';' && (statements.length === 0 || toks[k - 1]?.t === 'op')) reject();
      k++;
    }
    if (k >= toks.length) break;
    const ops: ('&&' | '||')[] = [];
    const pipes = [pipeline()];
    for (;;) {
      const t = toks[k];
      if (t?.t !== 'op' || (t.op !== '&&' && t.op !== '||')) break;
      ops.push(t.op);
      k++;
      skipNewlines();
      pipes.push(pipeline());
    }
    statements.push({ ops, pipes });
    const t = toks[k];
    if (t && (t.t !== 'op' || (t.op !== ';' && t.op !== '\n'))) reject();
  }
  return statements;
}

/** The commands of `text` when it is a plain command list, else undefined (parse it with tree-sitter). */
export function simpleCommands(text: string): SimpleCommand[] | undefined {
  if (text.length > 65536) return undefined;
  let statements: ReturnType<typeof parse>;
  try {
    statements = parse(tokenize(text), text);
  } catch (e) {
    if (e instanceof Reject) return undefined;
    throw e;
  }
  const out: SimpleCommand[] = [];
  let errexit = false;
  const emit = (c: Cmd, swallowed: boolean, piped: boolean, guard: string | undefined): void => {
    const words = stripWrappers(c.words);
    if (!words[0]) reject();
    const head = words[0] as Word;
    const name = head.value.split('/').pop() ?? head.value;
    if (RESERVED.has(name)) reject();
    const cmd: SimpleCommand = {
      name,
      nameWord: head,
      args: words.slice(1),
      start: c.start,
      end: c.end,
      redirects: c.redirects,
      heredocs: [],
      order: out.length,
      swallowed,
      piped,
      scope: '',
      guard,
    };
    out.push(cmd);
    if (name === 'set' && cmd.args.some((a) => /^-[a-z]*e/.test(a.value) || a.value === 'errexit')) errexit = true;
  };
  try {
    statements.forEach((st, si) => {
      const stSwallowed = !(si === statements.length - 1 || errexit);
      // orAfter[n]: an `||` follows operand n somewhere in the chain (one pass, as walkList does).
      const orAfter: boolean[] = [];
      for (let n = st.ops.length, seen = false; n >= 0; n--) orAfter[n] = seen ||= st.ops[n] === '||';
      st.pipes.forEach((pipe, n) => {
        // tree-sitter-bash nests `a | b | c && d` as `a | (b | c && d)`: its reading, not ours to copy.
        if (pipe.length > 2 && n < st.pipes.length - 1) reject();
        const swallowed = stSwallowed || (orAfter[n] ?? false);
        const orBefore = n > 0 && st.ops[n - 1] === '||';
        const first = st.pipes[0]?.[0];
        const prev = st.pipes[n - 1];
        const guard = orBefore && first && prev ? text.slice(first.start, prev[prev.length - 1]?.stmtEnd ?? first.start) : undefined;
        pipe.forEach((c, idx) => emit(c, swallowed || idx < pipe.length - 1, idx > 0, guard));
      });
    });
  } catch (e) {
    if (e instanceof Reject) return undefined;
    throw e;
  }
  return out;
}
