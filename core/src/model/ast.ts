import { DockerfileParser, Instruction, type Argument, type Dockerfile } from 'dockerfile-ast';

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
