import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { corpus, hostile, rangeChecker, rng } from '../mutate';
import { SERVER, TestClient } from './client';

/**
 * Hostile input through the real language server: every mutated document gets its diagnostics
 * (no hang), every range fits the document, hover, code actions and symbols answer without an
 * error, and the server process stays up.
 */
const SEED = 11;
const DOCUMENTS = 24;
const HANG_MS = 30_000;

describe('hostile input through the language server', () => {
  let client: TestClient;
  const sources = corpus();
  const logged: string[] = [];

  before(async () => {
    assert.ok(fs.existsSync(SERVER), 'run npm run build first');
    client = new TestClient();
    client.settings = { detect: 'always', syntaxDiagnostics: true, rules: {}, lintDebounceMs: 0 };
    // The server logs a failing rule or lint to the client, not to stderr.
    client.conn.onNotification('window/logMessage', (p: { type: number; message: string }) => {
      if (p.type === 1) logged.push(p.message.slice(0, 300));
    });
    await client.init(null);
  });
  after(async () => {
    await client.stop();
  });

  it(`serves ${DOCUMENTS} mutated documents`, { timeout: DOCUMENTS * HANG_MS * 3 }, async () => {
    const problems: string[] = [];
    const r = rng(SEED);
    for (let i = 0; i < DOCUMENTS; i++) {
      const first = hostile(SEED, 2 * i, sources);
      const second = hostile(SEED, 2 * i + 1, sources);
      const uri = `file:///fuzz/${i}/Containerfile`;
      const what = `document ${i} (seed ${SEED})`;
      const check = (text: string, diags: { range: Parameters<ReturnType<typeof rangeChecker>>[0]; code?: unknown }[]): void => {
        const fits = rangeChecker(text);
        for (const d of diags) {
          const why = fits(d.range);
          if (why) problems.push(`${what}: ${String(d.code)} ${why}`);
        }
      };
      try {
        const opened = await client.open(uri, first.text);
        check(first.text, opened.diagnostics);
        // A whole-document edit to another mutant: the server reuses what it can from the first.
        const changed = await client.change(uri, 2, [{ text: second.text }]);
        check(second.text, changed.diagnostics);
        const lines = second.text.split(/\r\n|\r|\n/);
        const line = Math.floor(r() * lines.length);
        const character = Math.floor(r() * ((lines[line]?.length ?? 0) + 1));
        const position = { line, character };
        const textDocument = { uri };
        await client.conn.sendRequest('textDocument/hover', { textDocument, position });
        await client.conn.sendRequest('textDocument/completion', { textDocument, position });
        await client.conn.sendRequest('textDocument/documentSymbol', { textDocument });
        const range = changed.diagnostics[0]?.range ?? { start: position, end: position };
        await client.conn.sendRequest('textDocument/codeAction', {
          textDocument,
          range,
          context: { diagnostics: changed.diagnostics.slice(0, 5) },
        });
        await client.conn.sendNotification('textDocument/didClose', { textDocument });
      } catch (e) {
        problems.push(`${what}: ${String(e).slice(0, 300)}`);
      }
      if (client.proc.exitCode !== null) {
        problems.push(`${what}: the server exited (${client.proc.exitCode}); stderr: ${client.stderr.slice(-500)}`);
        break;
      }
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(logged, []);
    assert.doesNotMatch(client.stderr, /rule \S+ failed|lint failed|RangeError|TypeError/);
  });
});
