import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { directoryContext, lintText } from '../../core/src';
import { fmtRange } from '../helpers';

/**
 * Realistic Containerfiles with their expected findings. `UPDATE_GOLDEN=1 npm test` rewrites the
 * `.expected.json` files; review the diff like code.
 */
const dir = path.join(__dirname, '../fixtures');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden fixtures', () => {
  const cases = fs.readdirSync(dir).filter((f) => /\.(Containerfile|Dockerfile)$/.test(f));
  it('has fixtures', () => assert.ok(cases.length >= 5));
  for (const name of cases) {
    it(name, async () => {
      const file = path.join(dir, name);
      const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      const r = await lintText(text, `file://${file}`, { buildContext: directoryContext(dir) });
      const got = r.findings.map((f) => ({ range: fmtRange(f), rule: f.rule, severity: f.severity, message: f.message }));
      const expectedFile = `${file}.expected.json`;
      if (update || !fs.existsSync(expectedFile)) {
        if (!update) assert.fail(`missing ${path.basename(expectedFile)}: run UPDATE_GOLDEN=1 npm test`);
        fs.writeFileSync(expectedFile, JSON.stringify(got, null, 2) + '\n');
        return;
      }
      assert.deepEqual(got, JSON.parse(fs.readFileSync(expectedFile, 'utf8')));
    });
  }
});
