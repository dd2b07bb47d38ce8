/**
 * `npm run bench`: our lint next to peers, measured in the same run on the same generated files.
 *  1. full cold lint (model + 31 rules + syntax) vs dockerfile-utils `validate`, 100/1,000/10,000 lines;
 *  2. LSP latency didChange → publishDiagnostics over 50 one-line edits of the 1,000-line file,
 *     ours (debounce 0) vs dockerfile-language-server-nodejs;
 *  3. server memory (RSS) after opening the 10,000-line file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { lintText } from '../core/src';
import { TestClient } from '../test/lsp/client';
import { generateContainerfile } from './generate';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/**
 * The peer runs in a worker thread with its own, untouched copy of dockerfile-ast: our engine
 * memoises some dockerfile-ast work in-process, which would otherwise speed up the peer too.
 */
class PeerValidator {
  private readonly worker: Worker;
  constructor() {
    const code = `
      const { parentPort } = require('node:worker_threads');
      const { validate } = require(${JSON.stringify(require.resolve('dockerfile-utils'))});
      parentPort.on('message', (text) => {
        const t = performance.now();
        validate(text);
        parentPort.postMessage(performance.now() - t);
      });`;
    this.worker = new Worker(code, { eval: true });
  }
  time(text: string): Promise<number> {
    return new Promise((resolve) => {
      this.worker.once('message', (ms: number) => resolve(ms));
      this.worker.postMessage(text);
    });
  }
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

async function lintSpeed(): Promise<string[]> {
  const rows = [
    '| lines | bootc-lab full cold lint (median) | dockerfile-utils validate (median) | ratio | target |',
    '| ---: | ---: | ---: | ---: | --- |',
  ];
  const peerValidator = new PeerValidator();
  // Warm up both (JIT, wasm compile) so "cold" means a never-seen file, not a cold process.
  await lintText(generateContainerfile(200, 999), 'file:///warm');
  await peerValidator.time(generateContainerfile(200, 999));
  for (const [lines, runs] of [
    [100, 30],
    [1000, 15],
    [10000, 7],
  ] as const) {
    const ours: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < runs; i++) {
      const text = generateContainerfile(lines, lines * 1000 + i);
      const t = performance.now();
      await lintText(text, 'file:///bench/Containerfile');
      ours.push(performance.now() - t);
      peer.push(await peerValidator.time(text));
    }
    const ratio = median(ours) / median(peer);
    rows.push(
      `| ${lines.toLocaleString('en')} | ${ms(median(ours))} | ${ms(median(peer))} | ${ratio.toFixed(2)}× | ${lines === 10000 ? `≤ 2× → ${ratio <= 2 ? 'met' : 'NOT met'}` : ''} |`,
    );
  }
  await peerValidator.close();
  return rows;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface LatencyResult {
  p50: number;
  p95: number;
  rss10k: number;
}

async function latency(args: string[], initOptions: unknown, settings: Record<string, unknown> | null): Promise<LatencyResult> {
  const c = new TestClient(args);
  // Each server gets its own answer to workspace/configuration (the peer reads other sections).
  c.settings = settings;
  try {
    await c.init(null, initOptions);
    // Both servers get the same settling time after initialize, as while a user opens a file.
    await new Promise((r) => setTimeout(r, 3000));
    const uri = 'file:///bench/Containerfile';
    const text = generateContainerfile(1000, 7);
    await c.open(uri, text);
    const lines = text.split('\n');
    const times: number[] = [];
    const candidates = lines.map((l, n) => (l.startsWith('RUN dnf -y install') ? n : -1)).filter((n) => n >= 0);
    for (let i = 0; i < 50; i++) {
      // A one-line edit of a RUN line spread over the file, as a user types a package name.
      const target = candidates[Math.floor((i * candidates.length) / 50)] ?? 6;
      const old = lines[target] ?? '';
      const next = old.replace(/httpd-(edit)?\d+/, `httpd-edit${i}`);
      const t = performance.now();
      await c.change(uri, i + 2, [
        { range: { start: { line: target, character: 0 }, end: { line: target, character: old.length } }, text: next },
      ]);
      times.push(performance.now() - t);
      lines[target] = next;
    }
    return { p50: median(times), p95: pct(times, 95), rss10k: await memoryAfter10k(args, initOptions, settings) };
  } finally {
    await c.stop();
  }
}

/** RSS of a fresh server process that has opened only the 10,000-line file. */
async function memoryAfter10k(args: string[], initOptions: unknown, settings: Record<string, unknown> | null): Promise<number> {
  const c = new TestClient(args);
  c.settings = settings;
  try {
    await c.init(null, initOptions);
    await new Promise((r) => setTimeout(r, 3000));
    await c.open('file:///bench/Big.Containerfile', generateContainerfile(10000, 11));
    await new Promise((r) => setTimeout(r, 1000));
    return rssMb(c.proc.pid);
  } finally {
    await c.stop();
  }
}

async function main(): Promise<void> {
  const root = path.join(__dirname, '..');
  const ours = path.join(root, 'dist/server.js');
  const peer = path.join(root, 'node_modules/dockerfile-language-server-nodejs/bin/docker-langserver');
  if (!fs.existsSync(ours)) throw new Error('run npm run build first');
  process.stdout.write(
    `bootc-lab benchmark (${new Date().toISOString()}, node ${process.version}, ${fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'cpu?'})\n\n`,
  );
  process.stdout.write('Lint time on generated bootc Containerfiles (cold: every run lints a file it has not seen):\n\n');
  process.stdout.write((await lintSpeed()).join('\n') + '\n\n');
  const a = await latency(
    [ours, '--stdio'],
    { settings: { lintDebounceMs: 0 } },
    { detect: 'auto', syntaxDiagnostics: true, rules: {}, lintDebounceMs: 0 },
  );
  const b = await latency([peer, '--stdio'], {}, null);
  process.stdout.write('LSP latency, didChange → publishDiagnostics, 50 one-line edits of the 1,000-line file:\n\n');
  process.stdout.write(
    [
      '| server | p50 | p95 | RSS of a fresh server after opening the 10,000-line file |',
      '| --- | ---: | ---: | ---: |',
      `| bootc-lab (debounce 0) | ${ms(a.p50)} | ${ms(a.p95)} | ${a.rss10k.toFixed(0)} MB |`,
      `| dockerfile-language-server-nodejs 0.15.0 | ${ms(b.p50)} | ${ms(b.p95)} | ${b.rss10k.toFixed(0)} MB |`,
    ].join('\n') + '\n\n',
  );
  process.stdout.write(
    `Targets: p95 ≤ peer p95 → ${a.p95 <= b.p95 ? 'met' : 'NOT met'} (${(a.p95 / b.p95).toFixed(2)}×); memory < 150 MB → ${a.rss10k < 150 ? 'met' : 'NOT met'}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
