import * as fs from 'node:fs';
import { runSuite } from '../suite';

/**
 * A tiny extension that runs the extension-host suite inside code-server (which has no
 * `--extensionTestsPath`) and writes the results where the harness waits for them.
 */
export function activate(): void {
  const out = process.env.BOOTC_LAB_SUITE_RESULTS;
  if (!out) return;
  setTimeout(() => {
    runSuite()
      .then((results) => fs.writeFileSync(out, JSON.stringify(results, null, 2)))
      .catch((e: unknown) => fs.writeFileSync(out, JSON.stringify([{ name: 'runner', ok: false, error: String(e), ms: 0 }])));
  }, 3000);
}
