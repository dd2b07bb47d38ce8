import { DockerfileParser, Instruction, type Argument, type Dockerfile } from 'dockerfile-ast';
import { ImageTemplate } from 'dockerfile-ast/lib/imageTemplate';

/**
 * dockerfile-utils parses the text again inside `validate()`; parsing is the largest single cost
 * of linting a big file. Both use this same dockerfile-ast module, so remember the last parse:
 * the second call for the identical string returns the same (read-only) tree.
 */
const original = DockerfileParser.parse.bind(DockerfileParser);
let last: { text: string; ast: Dockerfile } | undefined;

function memoParse(content: string): Dockerfile {
  if (last && last.text === content) return last.ast;
  const ast = original(content);
  last = { text: content, ast };
  return ast;
}

DockerfileParser.parse = memoParse;

export function parseDockerfile(text: string): Dockerfile {
  return memoParse(text);
}

/** Drops the remembered tree (tests, memory). */
export function forgetLastParse(): void {
  last = undefined;
}

/**
 * Instruction.getArguments() re-tokenises the instruction on every call, and dockerfile-ast and
 * dockerfile-utils call it many times per instruction. Instructions never change after parsing,
 * so remember the tokens per instance; callers get a copy because ModifiableInstruction shifts
 * flags off the array it receives.
 */
const proto = Instruction.prototype as unknown as { getRawArguments: (this: Instruction) => Argument[] };
const rawArguments = proto.getRawArguments;
// A property on the instance rather than a WeakMap: a WeakMap entry per instruction of every
// parse is costly for the garbage collector on each keystroke; the property dies with the tree.
const ARGS = Symbol('bootc-lab.rawArguments');
type WithArgs = Instruction & { [ARGS]?: Argument[] };
if (typeof rawArguments === 'function') {
  proto.getRawArguments = function (this: WithArgs): Argument[] {
    let args = this[ARGS];
    if (!args) {
      args = rawArguments.call(this);
      this[ARGS] = args;
    }
    return args.slice();
  };
}

/**
 * Variable checks in dockerfile-utils resolve every `$VAR` by listing all FROM, then all ENV (or
 * ARG) instructions of the image again, so a file with many ENV blocks that use `$PATH` was
 * quadratic: 1.3 s of a 10,000-line lint. Instructions are only ever appended to an image, so a
 * list stays valid while the instruction count is unchanged; callers get a copy, as before.
 */
type ListMethod = 'getFROMs' | 'getENVs' | 'getARGs';
const tproto = ImageTemplate.prototype as unknown as Record<ListMethod, (this: ImageTemplate) => Instruction[]>;
for (const name of ['getFROMs', 'getENVs', 'getARGs'] as const) {
  const compute = tproto[name];
  if (typeof compute !== 'function') continue;
  const LIST = Symbol(`bootc-lab.${name}`);
  type WithList = ImageTemplate & { [LIST]?: { count: number; list: Instruction[] } };
  tproto[name] = function (this: WithList): Instruction[] {
    const count = this.getInstructions().length;
    let memo = this[LIST];
    if (!memo || memo.count !== count) {
      memo = { count, list: compute.call(this) };
      this[LIST] = memo;
    }
    return memo.list.slice();
  };
}

/**
 * Inside `${…}`, `parseVariables` rescans the rest of the argument for every backslash it meets, so
 * it is quadratic in the argument's length: a fuzzed 100 kB line of `\ ` after `${` kept
 * dockerfile-utils' variable check (and so the language server) busy for 12 s. No real argument is
 * this long; past the bound such an argument reports no variables, which only skips the variable
 * checks on it.
 */
export const MAX_VARIABLE_SCAN = 8192;
type ParseVariables = (this: Instruction, offset: number, arg: string) => unknown[];
const iproto = Instruction.prototype as unknown as { parseVariables?: ParseVariables };
const parseVariables = iproto.parseVariables;
if (typeof parseVariables === 'function') {
  iproto.parseVariables = function (this: Instruction, offset: number, arg: string): unknown[] {
    if (arg.length > MAX_VARIABLE_SCAN && arg.includes('${')) return [];
    return parseVariables.call(this, offset, arg);
  };
}
