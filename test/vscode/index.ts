import { runSuite } from './suite';

/** Entry point for `@vscode/test-electron` (extensionTestsPath). */
export async function run(): Promise<void> {
  const results = await runSuite((s) => process.stdout.write(`${s}\n`));
  const failed = results.filter((r) => !r.ok);
  if (failed.length)
    throw new Error(`${failed.length} scenario(s) failed:\n${failed.map((f) => `${f.name}: ${f.error ?? ''}`).join('\n')}`);
}
