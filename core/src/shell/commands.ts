import type { Node } from 'web-tree-sitter';
import { parseShell } from './parser';

/** One shell word with its static value; offsets are into the parsed shell text. */
export interface Word {
  /** The value after quote removal; expansions stay literal (`$kver`). */
  value: string;
  start: number;
  end: number;
  /** Contains an expansion or substitution, so the value is only a pattern. */
  dynamic: boolean;
}

export interface Redirect {
  /** `>`, `>>`, `&>`, `>|`, `<`, … */
  op: string;
  target?: Word;
}

/** A heredoc attached to a command: its body is data for that command (stdin). */
export interface HeredocData {
  start: number;
  end: number;
  text: string;
  /** A file redirect on the heredoc line, as in `cat <<EOF > /etc/x`. */
  target?: Word;
}

export interface SimpleCommand {
  /** The program, after stripping wrappers such as `sudo`, `env`, `exec`. */
  name: string;
  /** Arguments after the program name. */
  args: Word[];
  nameWord: Word;
  start: number;
  end: number;
  redirects: Redirect[];
  heredocs: HeredocData[];
  /** Position of the command in the script, for "later in the same RUN" questions. */
  order: number;
  /** The command's exit status cannot fail the script (`|| true`, `; true`, non-last pipe). */
  swallowed: boolean;
  /** Reads its stdin from a pipe (`echo x | passwd`). */
  piped: boolean;
}

const WRAPPERS = new Set(['sudo', 'exec', 'command', 'nohup', 'time', 'nice', 'ionice', 'chronic']);

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

function lastCommandIn(node: Node): Node | undefined {
  if (node.type === 'command') return node;
  for (let i = node.namedChildCount - 1; i >= 0; i--) {
    const c = node.namedChild(i);
    if (!c) continue;
    const found = lastCommandIn(c);
    if (found) return found;
  }
  return undefined;
}

const SEQUENCES = new Set(['program', 'compound_statement', 'subshell', 'do_group']);

function errexitBefore(root: Node, offset: number): boolean {
  for (const cmd of root.descendantsOfType('command')) {
    if (!cmd || cmd.startIndex >= offset) break;
    const name = cmd.childForFieldName('name')?.text;
    if (name !== 'set') continue;
    const args = cmd.namedChildren.slice(1).map((c) => c?.text ?? '');
    if (args.some((a) => /^-[a-z]*e/.test(a)) || args.join(' ').includes('-o errexit')) return true;
  }
  return false;
}

/** Does this node's exit status fail the whole script? */
function isSwallowed(node: Node, root: Node): boolean {
  let cur: Node = node;
  for (let parent = cur.parent; parent; cur = parent, parent = parent.parent) {
    switch (parent.type) {
      case 'list': {
        const op = parent.children.find((c) => c !== null && (c.type === '||' || c.type === '&&'));
        const isLeft = parent.namedChild(0)?.id === cur.id;
        if (isLeft && op?.type === '||') return true;
        break;
      }
      case 'pipeline': {
        const last = parent.namedChild(parent.namedChildCount - 1);
        if (last?.id !== cur.id) return true;
        break;
      }
      case 'negated_command':
      case 'command_substitution':
      case 'process_substitution':
        return true;
      case 'if_statement':
      case 'while_statement':
      case 'elif_clause': {
        const cond = parent.childForFieldName('condition');
        if (cond?.id === cur.id) return true;
        break;
      }
      default:
        if (SEQUENCES.has(parent.type)) {
          const named = parent.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment' && c.type !== 'heredoc_body');
          const isLast = named[named.length - 1]?.id === cur.id;
          if (!isLast && !errexitBefore(root, cur.startIndex)) return true;
        }
    }
  }
  return false;
}

function redirectsFor(cmd: Node): { redirects: Redirect[]; heredocs: HeredocData[] } {
  const redirects: Redirect[] = [];
  const heredocs: HeredocData[] = [];
  const collect = (r: Node): void => {
    if (r.type === 'file_redirect') {
      const op = r.children.find((c) => c !== null && /^[<>&|]+$/.test(c.type))?.type ?? '>';
      const dest = r.childForFieldName('destination') ?? r.namedChildren.find((c) => c?.type !== 'file_descriptor');
      redirects.push({ op, target: dest ? wordOf(dest) : undefined });
    } else if (r.type === 'heredoc_redirect') {
      const body = r.namedChildren.find((c) => c?.type === 'heredoc_body');
      const inner = r.namedChildren.find((c) => c?.type === 'file_redirect');
      let target: Word | undefined;
      if (inner) {
        const before = redirects.length;
        collect(inner);
        target = redirects[before]?.target;
      }
      if (body) heredocs.push({ start: body.startIndex, end: body.endIndex, text: body.text, target });
    }
  };
  for (const c of cmd.namedChildren) if (c) collect(c);
  // tree-sitter-bash hangs redirects of `a && b > f` on the enclosing statement; they belong to the last command.
  for (let p = cmd.parent; p; p = p.parent) {
    if (p.type === 'redirected_statement') {
      const body = p.childForFieldName('body') ?? p.namedChild(0);
      if (body && lastCommandIn(body)?.id === cmd.id) {
        for (const c of p.namedChildren) if (c && c.id !== body.id) collect(c);
      }
    }
    if (SEQUENCES.has(p.type)) break;
  }
  return { redirects, heredocs };
}

/** Lists every simple command of a shell script, in source order, with static words. */
export function extractCommands(text: string): SimpleCommand[] {
  const tree = parseShell(text);
  const root = tree.rootNode;
  const out: SimpleCommand[] = [];
  walk(root, root, 0, out);
  return out;
}

function walk(root: Node, node: Node, base: number, out: SimpleCommand[]): void {
  if (node.type === 'command') {
    const cmd = toCommand(root, node, base, out.length);
    if (cmd) {
      out.push(cmd);
      nested(cmd, base, out);
    }
  }
  for (const c of node.namedChildren) if (c) walk(root, c, base, out);
}

function toCommand(root: Node, node: Node, base: number, order: number): SimpleCommand | undefined {
  const nameNode = node.childForFieldName('name');
  if (!nameNode) return undefined;
  const argNodes = node.childrenForFieldName('argument').filter((c): c is Node => c !== null);
  let words = [wordOf(nameNode), ...argNodes.map(wordOf)];
  // Strip wrappers so `sudo dnf install` and `env X=1 dracut` are seen as dnf and dracut.
  for (;;) {
    const head = words[0];
    if (!head) return undefined;
    const prog = head.value.split('/').pop() ?? head.value;
    if (WRAPPERS.has(prog)) {
      words = words.slice(1);
      while (words[0] && words[0].value.startsWith('-')) words = words.slice(1);
    } else if (prog === 'env') {
      words = words.slice(1);
      while (words[0] && (words[0].value.startsWith('-') || /^\w+=/.test(words[0].value))) words = words.slice(1);
    } else break;
  }
  const head = words[0];
  if (!head) return undefined;
  const shift = (w: Word): Word => ({ ...w, start: w.start + base, end: w.end + base });
  const { redirects, heredocs } = redirectsFor(node);
  let piped = false;
  const parent = node.parent;
  if (parent?.type === 'pipeline' && parent.namedChild(0)?.id !== node.id) piped = true;
  return {
    name: head.value.split('/').pop() ?? head.value,
    nameWord: shift(head),
    args: words.slice(1).map(shift),
    start: node.startIndex + base,
    end: node.endIndex + base,
    redirects: redirects.map((r) => ({ ...r, target: r.target ? shift(r.target) : undefined })),
    heredocs: heredocs.map((h) => ({ ...h, start: h.start + base, end: h.end + base, target: h.target ? shift(h.target) : undefined })),
    order,
    swallowed: isSwallowed(node, root),
    piped,
  };
}

/** `sh -c '…'` and `bash -c "…"` run a script of their own; parse it with offsets kept. */
function nested(cmd: SimpleCommand, base: number, out: SimpleCommand[]): void {
  if (!['sh', 'bash', 'dash', 'zsh'].includes(cmd.name)) return;
  const i = cmd.args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a.value));
  const script = i >= 0 ? cmd.args[i + 1] : undefined;
  if (!script || script.dynamic) return;
  const tree = parseShell(script.value);
  const quoteShift = script.end - script.start > script.value.length ? 1 : 0;
  walk(tree.rootNode, tree.rootNode, script.start + quoteShift - base + base, out);
}
