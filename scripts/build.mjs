// Bundles the extension client, the language server and the CLI with esbuild,
// and copies the tree-sitter wasm files the shell parser loads at runtime.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
fs.mkdirSync(dist, { recursive: true });

for (const [pkg, file] of [
  ['web-tree-sitter', 'tree-sitter.wasm'],
  ['tree-sitter-bash', 'tree-sitter-bash.wasm'],
]) {
  fs.copyFileSync(path.join(root, 'node_modules', pkg, file), path.join(dist, file));
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // web-tree-sitter probes for these in browsers; Node never loads them.
  external: ['vscode'],
  alias: {
    // The package's ESM build needs import.meta.url, which a CJS bundle lacks: use its CJS build.
    'web-tree-sitter': path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs'),
    // dockerfile-ast and dockerfile-utils require() these; given the ESM builds, the bundle wraps
    // them in getter objects and every Range/Position they create costs two getter calls
    // (measured: ~10 ms of the first edit of a 1,000-line file). The CommonJS builds are plain.
    'vscode-languageserver-types': path.join(root, 'node_modules/vscode-languageserver-types/lib/umd/main.js'),
    'vscode-languageserver-textdocument': path.join(root, 'node_modules/vscode-languageserver-textdocument/lib/umd/main.js'),
  },
};

const entries = [
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js' },
  { entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' },
  // cli.js is a small launcher that compiles cli-main.js with a V8 code cache (see launcher.ts).
  { entryPoints: ['cli/src/launcher.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['cli/src/main.ts'], outfile: 'dist/cli-main.js' },
  { entryPoints: ['cli/src/syntax-worker.ts'], outfile: 'dist/cli-syntax-worker.js' },
];

const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e, absWorkingDir: root })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
}
