import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * tree-sitter-bash in WebAssembly: a real shell grammar (heredocs, quoting, substitutions)
 * without a native addon, so the same bundle runs in VS Code, the CLI and CI.
 */
let ready: Promise<Parser> | undefined;
let parser: Parser | undefined;

function locate(file: string, pkg: string): string {
  // The bundle ships the wasm files beside itself; in tests we run from sources.
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  const nextToDist = path.join(__dirname, '..', 'dist', file);
  if (fs.existsSync(nextToDist)) return nextToDist;
  return require.resolve(`${pkg}/${file}`);
}

/**
 * Keeps all WebAssembly of this process on V8's baseline compiler (Liftoff). TurboFan-compiling the
 * grammar's huge generated functions costs ~50 MB of native memory the process never gives back,
 * and about a second of CPU that a process cannot exit before: a 2-line `bootc-lab lint` took
 * 1.0 s with it and 0.3 s without, and the 10,000-line findings-heavy file used less CPU without
 * it too. Only for processes that are ours alone (the server, the CLI), not VS Code's extension
 * host, where the flag would apply to every extension. Must run before the parser is loaded.
 */
export function useBaselineWasmCompiler(): void {
  v8.setFlagsFromString('--liftoff-only');
}

/**
 * Loads the grammar once; every later call returns the same parser. `lowMemory` (the long-running
 * language server) also keeps the WebAssembly on the baseline compiler, see useBaselineWasmCompiler.
 */
export function initShellParser(opts: { lowMemory?: boolean } = {}): Promise<Parser> {
  ready ??= (async () => {
    if (opts.lowMemory) useBaselineWasmCompiler();
    const runtime = locate('tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtime });
    // Bytes, not a path: given a path, web-tree-sitter reads it through a dynamic import(), which
    // code compiled by the CLI's launcher (vm.Script with a code cache) cannot make.
    const bash = await Language.load(fs.readFileSync(locate('tree-sitter-bash.wasm', 'tree-sitter-bash')));
    const p = new Parser();
    p.setLanguage(bash);
    parser = p;
    return p;
  })();
  return ready;
}

let parsed = 0;

/**
 * Thrown when a script needs tree-sitter before it is loaded: the CLI lints without loading it (most
 * files are plain command lists, see simple.ts) and loads it only when this says it must.
 */
export class ShellParserNotReady extends Error {
  constructor() {
    super('initShellParser() must complete before parsing shell text');
  }
}

/**
 * Parses shell text. Trees live in WebAssembly memory, which never shrinks, so callers copy what
 * they need into JS objects and delete the tree at once (`extractCommands` caches that copy by
 * text, so an edit elsewhere in the Containerfile re-parses only the RUN that changed).
 */
export function parseShell(text: string): Tree | undefined {
  if (!parser) throw new ShellParserNotReady();
  // tree-sitter's error recovery is superlinear on some garbage (thousands of unclosed `(` in a RUN
  // took minutes): give one script a time budget and treat it as unparsable past that.
  const deadline = performance.now() + PARSE_BUDGET_MS;
  const tree = parser.parse(text, null, { progressCallback: () => performance.now() > deadline });
  if (!tree) {
    parser.reset();
    return undefined;
  }
  return tree;
}

/** Real scripts parse in well under a millisecond per kilobyte. */
const PARSE_BUDGET_MS = 1000;

/** One script read (by tree-sitter or by shell/simple.ts): extractCommands counts its cache misses. */
export function countParse(): void {
  parsed++;
}

/** For tests: whether tree-sitter has been loaded in this process. */
export function shellParserLoaded(): boolean {
  return parser !== undefined;
}

/** For tests: how many shell texts were parsed so far. */
export function shellParseCount(): number {
  return parsed;
}
