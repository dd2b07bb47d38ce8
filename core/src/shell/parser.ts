import * as fs from 'node:fs';
import * as path from 'node:path';
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

/** Loads the grammar once; every later call returns the same parser. */
export function initShellParser(): Promise<Parser> {
  ready ??= (async () => {
    const runtime = locate('tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtime });
    const bash = await Language.load(locate('tree-sitter-bash.wasm', 'tree-sitter-bash'));
    const p = new Parser();
    p.setLanguage(bash);
    parser = p;
    return p;
  })();
  return ready;
}

const CACHE_LIMIT = 2000;
const cache = new Map<string, Tree>();

/**
 * Parses shell text, reusing the tree of an identical text: an edit elsewhere in the
 * Containerfile re-parses only the RUN that changed.
 */
export function parseShell(text: string): Tree {
  if (!parser) throw new Error('initShellParser() must complete before parsing shell text');
  const hit = cache.get(text);
  if (hit) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  cache.set(text, tree);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) {
      cache.get(oldest)?.delete();
      cache.delete(oldest);
    }
  }
  return tree;
}

/** For benchmarks and tests: how many distinct shell texts are cached. */
export function shellCacheSize(): number {
  return cache.size;
}
