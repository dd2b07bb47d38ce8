import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText, mergeConfig } from '../../core/src';
import { corpus, hostile, rangeChecker } from '../mutate';

/**
 * Hostile input through the engine: mutated fixtures (see test/mutate.ts) must lint without an
 * exception, a rule failure, a hang, or a finding outside the document. Seeded and bounded; the
 * 10,000-document run is `tsx bench/fuzz.ts`.
 */
const SEED = 9;
const DOCUMENTS = 48;
/** Per document, far above the worst seen (a few seconds for 800 kB of garbage on a loaded machine). */
const HANG_MS = 30_000;

describe('hostile input through the engine', () => {
  const sources = corpus();
  const config = mergeConfig({ detect: 'always', syntax: true }, {});

  it('has fixtures to mutate', () => assert.ok(sources.length >= 10));

  it(
    `lints ${DOCUMENTS} mutated documents: no crash, no hang, every range inside its document`,
    { timeout: DOCUMENTS * HANG_MS },
    async () => {
      const problems: string[] = [];
      for (let i = 0; i < DOCUMENTS; i++) {
        const { text, mutations } = hostile(SEED, i, sources);
        const what = `document ${i} (seed ${SEED}, mutations ${mutations.join(',')})`;
        const t0 = performance.now();
        const r = await lintText(text, 'file:///fuzz/Containerfile', {
          config,
          onRuleError: (rule, e) => problems.push(`${what}: rule ${rule} threw ${String(e)}`),
        });
        const ms = performance.now() - t0;
        if (ms > HANG_MS) problems.push(`${what}: took ${Math.round(ms)} ms`);
        const check = rangeChecker(text);
        for (const f of r.findings) {
          const why = check(f.range);
          if (why) problems.push(`${what}: ${f.rule} ${why}`);
        }
      }
      assert.deepEqual(problems, []);
    },
  );
});
