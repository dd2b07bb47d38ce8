/**
 * `npm run test:electron`: the same extension-host suite in desktop VS Code via @vscode/test-electron
 * (it downloads VS Code, so it cannot run on machines without that network access).
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runTests } from '@vscode/test-electron';
import { makeWorkspace } from '../e2e/workspace';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const out = path.join(root, 'dist', 'test');
  const b = spawnSync(
    path.join(root, 'node_modules/.bin/esbuild'),
    ['test/vscode/index.ts', '--bundle', '--platform=node', '--format=cjs', '--external:vscode', `--outfile=${path.join(out, 'index.js')}`],
    { cwd: root, encoding: 'utf8' },
  );
  if (b.status !== 0) throw new Error(b.stderr);
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(out, 'index.js'),
    launchArgs: [makeWorkspace(), '--disable-workspace-trust'],
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
