import type { Node, TreeCursor } from 'web-tree-sitter';
import { countParse, parseShell } from './parser';
import { simpleCommands } from './simple';
import { stripWrappers, type HeredocData, type Redirect, type SimpleCommand, type Word } from './types';

export type { HeredocData, Redirect, SimpleCommand, Word } from './types';

const SEQUENCES = new Set(['program', 'compound_statement', 'subshell', 'do_group']);
const NOT_STATEMENTS = new Set(['comment', 'heredoc_body']);

function unescape(text: string): string {
  return text.replace(/\\(.)/gs, '$1');
}

function wordOf(node: Node): Word {
  const w: Word = { value: node.text, start: node.startIndex, end: node.endIndex, dynamic: false };
  switch (node.type) {
    case 'word':
    case 'number':
      w.value = unescape(node.text);
      break;
    case 'raw_string':
      w.value = node.text.slice(1, -1);
      break;
    case 'ansi_c_string':
      w.value = node.text.slice(2, -1);
      break;
    case 'string': {
      w.value = node.text.slice(1, -1).replace(/\\([$`"\\\n])/g, '$1');
      w.dynamic = node.namedChildren.some((c) => c !== null && c.type !== 'string_content');
      break;
    }
    case 'concatenation': {
      const parts = node.namedChildren.filter((c): c is Node => c !== null).map(wordOf);
      w.value = parts.map((p) => p.value).join('');
      w.dynamic = parts.some((p) => p.dynamic);
      break;
    }
    default:
      w.dynamic = true;
  }
  return w;
}

interface Ctx {
  /** An ancestor makes this subtree's exit status irrelevant. */
  swallowed: boolean;
  piped: boolean;
  /** Command-substitution depth, so redirects attach to commands of the same level. */
  level: number;
  scope: string;
  guard?: string;
}

function guarded(ctx: Ctx, condition: string): Ctx {
  return { ...ctx, guard: ctx.guard ? `${ctx.guard}; ${condition}` : condition };
}

interface Walk {
  out: SimpleCommand[];
  /** `set -e` seen so far: later statements of a sequence are no longer swallowed. */
  errexit: boolean;
  base: number;
  levels: number[];
  /** Subshells seen so far, to name scopes. */
  scopes: { n: number };
  /** Nesting of the walk, bounded so garbage such as 10,000 `(` cannot exhaust the stack. */
  depth: number;
}

const MAX_DEPTH = 200;

function redirectOf(r: Node): { redirect?: Redirect; heredoc?: HeredocData } {
  if (r.type === 'file_redirect') {
    const op = r.children.find((c) => c !== null && /^[<>&|]+$/.test(c.type))?.type ?? '>';
    const dest = r.childForFieldName('destination') ?? r.namedChildren.find((c) => c?.type !== 'file_descriptor');
    return { redirect: { op, target: dest ? wordOf(dest) : undefined } };
  }
  if (r.type === 'heredoc_redirect') {
    const body = r.namedChildren.find((c) => c?.type === 'heredoc_body');
    const inner = r.namedChildren.find((c) => c?.type === 'file_redirect');
    const target = inner ? redirectOf(inner).redirect : undefined;
    return {
      redirect: target,
      heredoc: body ? { start: body.startIndex, end: body.endIndex, text: body.text, target: target?.target } : undefined,
    };
  }
  return {};
}

/** Lists every simple command of a shell script, in source order, with static words. */
export function extractCommands(text: string): SimpleCommand[] {
  const hit = commandCache.get(text);
  if (hit) return hit;
  countParse();
  let out = simpleCommands(text);
  if (out) {
    if (CROSS_CHECK) crossCheck(text, out);
  } else {
    const parsed = treeSitterCommands(text);
    if (!parsed) return [];
    out = parsed;
  }
  commandCache.set(text, out);
  if (commandCache.size > COMMAND_CACHE_LIMIT) {
    const oldest = commandCache.keys().next().value;
    if (oldest !== undefined) commandCache.delete(oldest);
  }
  return out;
}

/**
 * With BOOTC_LAB_SHELL_CROSSCHECK=1 (the test runs set it) every script the fast path reads is read
 * by tree-sitter too, and a difference throws: the whole test corpus checks the fast path.
 */
const CROSS_CHECK = process.env.BOOTC_LAB_SHELL_CROSSCHECK === '1';

function crossCheck(text: string, fast: SimpleCommand[]): void {
  const a = JSON.stringify(fast);
  const b = JSON.stringify(treeSitterCommands(text) ?? []);
  if (a !== b) throw new Error(`shell fast path differs from tree-sitter on ${JSON.stringify(text)}:\nfast ${a}\ntree ${b}`);
}

/** The commands of a script as tree-sitter reads it (the reference the fast path is checked against). */
export function treeSitterCommands(text: string): SimpleCommand[] | undefined {
  const w: Walk = { out: [], errexit: false, base: 0, levels: [], scopes: { n: 0 }, depth: 0 };
  const tree = parseShell(text);
  if (!tree) return undefined;
  const cursor = tree.rootNode.walk();
  try {
    walkTree(cursor, w, { swallowed: false, piped: false, level: 0, scope: '' });
  } finally {
    cursor.delete();
    tree.delete();
  }
  w.out.forEach((c, order) => (c.order = order));
  return w.out;
}

/**
 * Second-level cache behind the per-instruction one: it helps when an unchanged RUN moved (lines
 * inserted above it). Small, because the per-instruction cache covers the common edit.
 */
const COMMAND_CACHE_LIMIT = 512;
const commandCache = new Map<string, SimpleCommand[]>();

export function clearCommandCache(): void {
  commandCache.clear();
}

/** Visits the node under the cursor and its subtree; the cursor is back on that node afterwards. */
function walkTree(cursor: TreeCursor, w: Walk, ctx: Ctx): void {
  const type = cursor.nodeType;
  if (type === 'command') {
    const cmd = toCommand(cursor, w, ctx);
    if (cmd) {
      w.out.push(cmd);
      w.levels.push(ctx.level);
      if (cmd.name === 'set' && cmd.args.some((a) => /^-[a-z]*e/.test(a.value) || a.value === 'errexit')) w.errexit = true;
      nested(cmd, w, ctx);
    }
    // Arguments may hold command substitutions: their commands run too.
    descend(
      cursor,
      w,
      () => ({ ...ctx, swallowed: true, level: ctx.level + 1, scope: `${ctx.scope}/${++w.scopes.n}` }),
      (t) =>
        t === 'command_substitution' ||
        t === 'process_substitution' ||
        t === 'concatenation' ||
        t === 'string' ||
        t === 'variable_assignment',
    );
    return;
  }
  if (type === 'heredoc_body' || type === 'comment' || !cursor.nodeIsNamed) return;
  if (type === 'command_substitution' || type === 'process_substitution') {
    const scope = `${ctx.scope}/${++w.scopes.n}`;
    descend(cursor, w, () => ({ swallowed: true, piped: false, level: ctx.level + 1, scope }));
    return;
  }
  if (type === 'subshell') {
    const scope = `${ctx.scope}/${++w.scopes.n}`;
    walkSequence(cursor, w, { ...ctx, scope });
    return;
  }
  if (type === 'negated_command') {
    descend(cursor, w, () => ({ ...ctx, swallowed: true }));
    return;
  }
  if (type === 'list') {
    walkList(cursor.currentNode, w, ctx);
    return;
  }
  if (type === 'pipeline') {
    const n = cursor.currentNode.namedChildCount;
    let i = 0;
    descend(cursor, w, () => {
      const idx = i++;
      return { ...ctx, swallowed: ctx.swallowed || idx < n - 1, piped: idx > 0 };
    });
    return;
  }
  if (type === 'if_statement' || type === 'while_statement' || type === 'elif_clause') {
    const node = cursor.currentNode;
    const condition = node
      .childrenForFieldName('condition')
      .map((c) => c?.text ?? '')
      .join(' ');
    const body = guarded(ctx, condition);
    descend(cursor, w, (field) => (field === 'condition' ? { ...ctx, swallowed: true } : body));
    return;
  }
  if (type === 'case_statement') {
    const value = cursor.currentNode.childForFieldName('value')?.text ?? '';
    const body = guarded(ctx, `case ${value}`);
    descend(cursor, w, (field) => (field === 'value' ? ctx : body));
    return;
  }
  if (type === 'redirected_statement') {
    const node = cursor.currentNode;
    const before = w.out.length;
    const body = node.childForFieldName('body');
    descend(
      cursor,
      w,
      () => ctx,
      (t) => t !== 'file_redirect' && t !== 'heredoc_redirect' && t !== 'herestring_redirect',
    );
    // tree-sitter-bash hangs redirects of `a && b > f` on the statement; they belong to the last command.
    let target: SimpleCommand | undefined;
    for (let i = w.out.length - 1; i >= before; i--) {
      if (w.levels[i] === ctx.level) {
        target = w.out[i];
        break;
      }
    }
    if (!target) return;
    for (const c of node.namedChildren) {
      if (!c || c.id === body?.id) continue;
      const { redirect, heredoc } = redirectOf(c);
      const shift = (x: Word | undefined): Word | undefined => (x ? { ...x, start: x.start + w.base, end: x.end + w.base } : undefined);
      if (redirect) target.redirects.push({ op: redirect.op, target: shift(redirect.target) });
      if (heredoc)
        target.heredocs.push({ ...heredoc, start: heredoc.start + w.base, end: heredoc.end + w.base, target: shift(heredoc.target) });
    }
    return;
  }
  if (SEQUENCES.has(type)) {
    walkSequence(cursor, w, ctx);
    return;
  }
  descend(cursor, w, () => ctx);
}

/** Statements of a sequence: only the last one's status counts, unless `set -e` is on. */
function walkSequence(cursor: TreeCursor, w: Walk, ctx: Ctx): void {
  const node = cursor.currentNode;
  const statements = node.namedChildren.filter((c): c is Node => c !== null && !NOT_STATEMENTS.has(c.type));
  const lastId = statements[statements.length - 1]?.id;
  descend(cursor, w, () => {
    const isLast = cursor.nodeId === lastId;
    return isLast || w.errexit ? ctx : { ...ctx, swallowed: true };
  });
}

/** Walks the children of the cursor's node with a context chosen per child. */
function descend(cursor: TreeCursor, w: Walk, ctxFor: (field: string | null) => Ctx, filter?: (type: string) => boolean): void {
  if (w.depth >= MAX_DEPTH || !cursor.gotoFirstChild()) return;
  w.depth++;
  do {
    if (!cursor.nodeIsNamed) continue;
    if (filter && !filter(cursor.nodeType)) continue;
    walkTree(cursor, w, ctxFor(cursor.currentFieldName));
  } while (cursor.gotoNextSibling());
  w.depth--;
  cursor.gotoParent();
}

/**
 * `a && b || c && d` parses left-nested, one level per operator: walk the chain flat, so a RUN of
 * 500 `&&`-joined commands does not cost 500 levels of recursion. An operand's status is swallowed
 * when an `||` follows it anywhere in the chain (`(a && b) || c`); what follows `||` still runs.
 */
function walkList(node: Node, w: Walk, ctx: Ctx): void {
  const rights: { op: string; right: Node; leftText: string }[] = [];
  let cur: Node = node;
  for (;;) {
    const operands = cur.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
    const left = operands[0];
    const right = operands.length > 1 ? operands[operands.length - 1] : undefined;
    if (cur.type !== 'list' || !left || !right) break;
    rights.push({ op: cur.children.some((c) => c?.type === '||') ? '||' : '&&', right, leftText: left.text });
    cur = left;
  }
  rights.reverse();
  // A list the parser could not split (an error node inside) is walked child by child.
  const head = cur.type === 'list' ? cur.namedChildren.filter((c): c is Node => c !== null) : [cur];
  const operands = [...head, ...rights.map((r) => r.right)];
  const orAfter: boolean[] = [];
  for (let k = rights.length - 1, seen = false; k >= 0; k--) orAfter[k] = seen ||= rights[k]?.op === '||';
  operands.forEach((operand, n) => {
    const k = Math.max(0, n - head.length + 1);
    const swallowed = ctx.swallowed || (orAfter[k] ?? false);
    // The right side of `a || b` runs only when `a` fails: a condition, as in `if`.
    const r = n >= head.length ? rights[n - head.length] : undefined;
    const c = operand.walk();
    try {
      walkTree(c, w, r?.op === '||' ? guarded({ ...ctx, swallowed }, r.leftText) : { ...ctx, swallowed });
    } finally {
      c.delete();
    }
  });
}

/**
 * The command under the cursor. One pass over its children with the cursor: asking the node for
 * its `name` field, its `argument` fields and its named children marshalled every child out of
 * WebAssembly three times (measured: ~8% of a cold 10,000-line lint in the CLI).
 */
function toCommand(cursor: TreeCursor, w: Walk, ctx: Ctx): SimpleCommand | undefined {
  const start = cursor.startIndex;
  const end = cursor.endIndex;
  let nameNode: Node | undefined;
  const argNodes: Node[] = [];
  const redirectNodes: Node[] = [];
  if (cursor.gotoFirstChild()) {
    do {
      const field = cursor.currentFieldName;
      if (field === 'name') nameNode ??= cursor.currentNode;
      else if (field === 'argument') argNodes.push(cursor.currentNode);
      else if (cursor.nodeIsNamed && (cursor.nodeType === 'file_redirect' || cursor.nodeType === 'heredoc_redirect'))
        redirectNodes.push(cursor.currentNode);
    } while (cursor.gotoNextSibling());
    cursor.gotoParent();
  }
  if (!nameNode) return undefined;
  const words = stripWrappers([wordOf(nameNode), ...argNodes.map(wordOf)]);
  const head = words[0];
  if (!head) return undefined;
  const shift = (x: Word): Word => ({ ...x, start: x.start + w.base, end: x.end + w.base });
  const redirects: Redirect[] = [];
  const heredocs: HeredocData[] = [];
  for (const c of redirectNodes) {
    const { redirect, heredoc } = redirectOf(c);
    if (redirect) redirects.push({ op: redirect.op, target: redirect.target ? shift(redirect.target) : undefined });
    if (heredoc)
      heredocs.push({
        ...heredoc,
        start: heredoc.start + w.base,
        end: heredoc.end + w.base,
        target: heredoc.target ? shift(heredoc.target) : undefined,
      });
  }
  return {
    name: head.value.split('/').pop() ?? head.value,
    nameWord: shift(head),
    args: words.slice(1).map(shift),
    start: start + w.base,
    end: end + w.base,
    redirects,
    heredocs,
    order: 0,
    swallowed: ctx.swallowed,
    piped: ctx.piped,
    scope: ctx.scope,
    guard: ctx.guard,
  };
}

/** `sh -c '…'` and `bash -c "…"` run a script of their own; parse it with offsets kept. */
function nested(cmd: SimpleCommand, w: Walk, ctx: Ctx): void {
  if (!['sh', 'bash', 'dash', 'zsh'].includes(cmd.name)) return;
  const i = cmd.args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a.value));
  const script = i >= 0 ? cmd.args[i + 1] : undefined;
  if (!script || script.dynamic) return;
  const quoteShift = script.end - script.start > script.value.length ? 1 : 0;
  if (w.depth >= MAX_DEPTH) return;
  const inner: Walk = {
    out: w.out,
    errexit: false,
    base: script.start + quoteShift,
    levels: w.levels,
    scopes: w.scopes,
    depth: w.depth + 1,
  };
  const tree = parseShell(script.value);
  if (!tree) return;
  const cursor = tree.rootNode.walk();
  try {
    walkTree(cursor, inner, {
      swallowed: ctx.swallowed,
      piped: false,
      level: ctx.level,
      scope: `${ctx.scope}/${++w.scopes.n}`,
      guard: ctx.guard,
    });
  } finally {
    cursor.delete();
    tree.delete();
  }
}
