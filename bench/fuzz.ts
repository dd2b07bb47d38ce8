/**
 * `tsx bench/fuzz.ts [--count 10000] [--seed 1] [--batch 200]`: hostile documents (test/mutate.ts)
 * through the CLI (`lint --format json`, many files per process) and through one language-server
 * process, counting crashes, hangs and findings whose range does not fit the document, with the
 * throughput of each. Needs `npm run build` first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { run, TimeoutError } from '../core/src/process/run';
import { TestClient } from '../test/lsp/client';
import { corpus, hostile, rangeChecker } from '../test/mutate';
import type { JsonFinding } from '../cli/src/formats';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '200' },
  },
});
const COUNT = Number(values.count);
const SEED = Number(values.seed);
const BATCH = Number(values.batch);
/** A document that takes longer than this is a hang. */
const HANG_MS = 30_000;
const CLI = path.join(__dirname, '../dist/cli.js');

interface Tally {
  docs: number;
  bytes: number;
  crashes: string[];
  hangs: string[];
  invalid: string[];
  findings: number;
  ms: number;
}
const tally = (): Tally => ({ docs: 0, bytes: 0, crashes: [], hangs: [], invalid: [], findings: 0, ms: 0 });

/** The text as the CLI reads it: UTF-8 decoding (lone surrogates become U+FFFD), BOM dropped. */
function asRead(file: string): string {
  const t = fs.readFileSync(file, 'utf8');
  return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
}

async function cliBatch(files: string[], t: Tally): Promise<void> {
  const t0 = performance.now();
  let res;
  try {
    res = await run(
      { command: process.execPath, args: [CLI, 'lint', '--format', 'json', '--assume-bootc', ...files] },
      { timeoutMs: HANG_MS * files.length },
    );
  } catch (e) {
    if (files.length > 1) {
      // Find the document(s) responsible, one process each.
      for (const f of files) await cliBatch([f], t);
      return;
    }
    (e instanceof TimeoutError ? t.hangs : t.crashes).push(`${files[0] ?? ''}: ${String(e).slice(0, 200)}`);
    return;
  }
  t.ms += performance.now() - t0;
  if ((res.exitCode !== 0 && res.exitCode !== 1) || /internal error/.test(res.stderr)) {
    if (files.length > 1) {
      t.ms -= performance.now() - t0;
      for (const f of files) await cliBatch([f], t);
      return;
    }
    t.crashes.push(`${files[0] ?? ''}: exit ${res.exitCode}: ${res.stderr.slice(-300)}`);
    return;
  }
  let found: JsonFinding[];
  try {
    found = JSON.parse(res.stdout) as JsonFinding[];
  } catch {
    if (files.length > 1) {
      t.ms -= performance.now() - t0;
      for (const f of files) await cliBatch([f], t);
      return;
    }
    t.crashes.push(`${files[0] ?? ''}: output is not JSON`);
    return;
  }
  t.docs += files.length;
  for (const f of files) t.bytes += fs.statSync(f).size;
  t.findings += found.length;
  const checkers = new Map(files.map((f) => [f, rangeChecker(asRead(f))]));
  for (const f of found) {
    const why = checkers.get(f.file)?.({
      start: { line: f.line - 1, character: f.column - 1 },
      end: { line: f.endLine - 1, character: f.endColumn - 1 },
    });
    if (why) t.invalid.push(`${f.file}: ${f.rule} ${why}`);
  }
}

async function lspRun(docs: { name: string; text: string }[], t: Tally): Promise<void> {
  let client = await startServer();
  const t0 = performance.now();
  for (const [i, d] of docs.entries()) {
    const uri = `file:///fuzz/${i}/Containerfile`;
    try {
      const p = await client.open(uri, d.text, 1);
      t.docs++;
      t.bytes += Buffer.byteLength(d.text);
      t.findings += p.diagnostics.length;
      const check = rangeChecker(d.text);
      for (const diag of p.diagnostics) {
        const why = check(diag.range);
        if (why) t.invalid.push(`${d.name}: ${String(diag.code)} ${why}`);
      }
      await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
      if (i % 200 === 199) progress('lsp', { ...t, ms: t.ms + performance.now() - t0 });
    } catch (e) {
      const dead = client.proc.exitCode !== null;
      (dead ? t.crashes : t.hangs).push(`${d.name}: ${String(e).slice(0, 200)}`);
      await client.stop();
      client = await startServer();
    }
  }
  t.ms += performance.now() - t0;
  await client.stop();
}

async function startServer(): Promise<TestClient> {
  const c = new TestClient();
  c.settings = { detect: 'always', syntaxDiagnostics: true, rules: {}, lintDebounceMs: 0 };
  await c.init(null);
  return c;
}

/** Long runs: the running figures on stderr, so a run stopped early still says what it saw. */
function progress(name: string, t: Tally): void {
  process.stderr.write(
    `${name} ${t.docs} docs, ${t.crashes.length} crashes, ${t.hangs.length} hangs, ${t.invalid.length} invalid, ${(t.docs / (t.ms / 1000)).toFixed(2)} docs/s\n`,
  );
}

function report(name: string, t: Tally): void {
  const s = t.ms / 1000;
  console.log(
    `${name.padEnd(4)} documents ${t.docs}  crashes ${t.crashes.length}  hangs ${t.hangs.length}  invalid ranges ${t.invalid.length}  ` +
      `findings ${t.findings}  ${(t.docs / s).toFixed(1)} docs/s  ${(t.bytes / 1e6 / s).toFixed(2)} MB/s  (${s.toFixed(1)} s)`,
  );
  for (const x of [...t.crashes, ...t.hangs, ...t.invalid].slice(0, 20)) console.log(`  ${x}`);
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('run npm run build first');
  const sources = corpus();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-fuzz-'));
  try {
    const docs = Array.from({ length: COUNT }, (_, i) => {
      const name = path.join(dir, `${String(i).padStart(5, '0')}.Containerfile`);
      const { text } = hostile(SEED, i, sources);
      fs.writeFileSync(name, text);
      return { name, text: asRead(name) };
    });
    const mb = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0) / 1e6;
    console.log(`${COUNT} hostile documents (seed ${SEED}), ${mb.toFixed(1)} MB, in ${dir}`);
    const cli = tally();
    for (let i = 0; i < docs.length; i += BATCH) {
      await cliBatch(
        docs.slice(i, i + BATCH).map((d) => d.name),
        cli,
      );
      progress('cli', cli);
    }
    report('cli', cli);
    const lsp = tally();
    await lspRun(docs, lsp);
    report('lsp', lsp);
    process.exitCode = [cli, lsp].some((t) => t.crashes.length + t.hangs.length + t.invalid.length > 0) ? 1 : 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
