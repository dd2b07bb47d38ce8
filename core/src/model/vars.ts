/**
 * Build-argument substitution the way BuildKit's shell lexer does it for FROM, COPY, WORKDIR and
 * ARG values: `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+v}`, `${X+v}`, with nested words in the
 * default (`${A:-fedora-${B}}`). `vars` holds the variables with a known value; a variable that is
 * absent is unset. Where the value cannot be known (`${X}` of an unset X, `${X:?msg}`) the text stays
 * literal, so callers can tell a resolved word from one that still holds a `$`.
 */
export function expandVars(s: string, vars: ReadonlyMap<string, string>): string {
  if (!s.includes('$')) return s;
  try {
    return expandFrom(s, 0, s.length, vars, 0);
  } catch (e) {
    if (e instanceof TooLong) return s;
    throw e;
  }
}

/**
 * `ENV A=$A$A` repeated doubles A each time: 60 such lines outgrow V8's largest string. Past this
 * size a value is not something a rule reads; it stays literal, like any value that cannot be known.
 */
const MAX_VALUE = 1 << 16;
class TooLong extends Error {}

/** Deeper nesting than this is not a real Containerfile; stop rather than recurse without bound. */
const MAX_DEPTH = 8;

function expandFrom(s: string, from: number, to: number, vars: ReadonlyMap<string, string>, depth: number): string {
  let out = '';
  let i = from;
  while (i < to) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '$') {
      out += '\\$';
      i += 2;
      continue;
    }
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (s[i + 1] === '{') {
      const close = matchingBrace(s, i + 1, to);
      if (close < 0) {
        out += s.slice(i, to);
        break;
      }
      out += braced(s, i, close, vars, depth);
      i = close + 1;
      if (out.length > MAX_VALUE) throw new TooLong();
      continue;
    }
    const m = /^\w+/.exec(s.slice(i + 1, Math.min(to, i + 257)));
    if (!m) {
      out += c;
      i++;
      continue;
    }
    const v = vars.get(m[0]);
    out += v ?? `$${m[0]}`;
    i += 1 + m[0].length;
    if (out.length > MAX_VALUE) throw new TooLong();
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, or -1. */
function matchingBrace(s: string, open: number, to: number): number {
  let level = 0;
  for (let j = open; j < to; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '{') level++;
    else if (s[j] === '}' && --level === 0) return j;
  }
  return -1;
}

function braced(s: string, dollar: number, close: number, vars: ReadonlyMap<string, string>, depth: number): string {
  const literal = s.slice(dollar, close + 1);
  const m = /^(\w+)(:?[-+])?/.exec(s.slice(dollar + 2, close));
  if (!m) return literal;
  const name = m[1] ?? '';
  const op = m[2];
  const afterOp = dollar + 2 + m[0].length;
  if (!op) return afterOp === close ? (vars.get(name) ?? literal) : literal;
  if (depth >= MAX_DEPTH) return literal;
  const v = vars.get(name);
  const word = (): string => unquote(expandFrom(s, afterOp, close, vars, depth + 1));
  const set = op.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
  if (op.endsWith('-')) return set ? (v ?? '') : word();
  return set ? word() : '';
}

/** `${X:-"a b"}`: quotes inside the word group, they are not part of the value. */
function unquote(w: string): string {
  return /^(["']).*\1$/s.test(w) ? w.slice(1, -1) : w;
}
