/**
 * `npm run bench:image`: our port of bootc's lints on the debootstrap Debian image (~800 MB) next to
 * the `find -xdev` floor on the same tree, plus attribution cold/warm and a warm re-lint after a
 * one-line Containerfile change.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildModel, initShellParser } from '../core/src';
import { lintImage } from '../core/src/image/lint-image';
import { lintRootfs } from '../core/src/image/lints';
import { runBuild } from '../core/src/podman/run-build';
import { mountImage, unmountImage } from '../core/src/podman/podman';
import { ensureDebianBase } from '../test/integration/debian-base';

const ISOLATION = process.env.BOOTC_LAB_TEST_ISOLATION ?? 'chroot';

function findCount(root: string): Promise<{ ms: number; entries: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('find', [root, '-xdev'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let n = 0;
    p.stdout.on('data', (d: Buffer) => {
      for (const b of d) if (b === 10) n++;
    });
    p.on('error', reject);
    p.on('close', () => resolve({ ms: performance.now() - t, entries: n }));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

async function main(): Promise<void> {
  await initShellParser();
  ensureDebianBase((s) => process.stderr.write(`${s}\n`));
  const src = path.join(__dirname, '../test/integration/fixtures/debian-vm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-bench-image-'));
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const file = path.join(dir, 'Containerfile');
  const tag = 'localhost/bootc-lab-bench-image:1';
  const build = async (): Promise<void> => {
    const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
    const r = await runBuild({ file, context: dir, tag, isolation: ISOLATION, model });
    if (!r.ok) throw new Error(`build failed: ${r.failure?.tail}`);
  };
  await build();
  const root = await mountImage({}, tag);
  const port: number[] = [];
  const floor: number[] = [];
  let entries = 0;
  try {
    for (let i = 0; i < 5; i++) {
      const f = await findCount(root);
      floor.push(f.ms);
      entries = f.entries;
      const t = performance.now();
      lintRootfs(root);
      port.push(performance.now() - t);
    }
  } finally {
    await unmountImage({}, tag);
  }
  const model = () => buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const cold = await lintImage({ image: tag, model: model() });
  const warm = await lintImage({ image: tag, model: model() });
  // A one-line change: the rebuild reuses every cached layer but the new one.
  fs.appendFileSync(file, 'RUN echo changed > /usr/share/bootc-lab-bench\n');
  await build();
  const t = performance.now();
  const relint = await lintImage({ image: tag, model: model() });
  const relintMs = performance.now() - t;
  fs.rmSync(dir, { recursive: true, force: true });
  const ratio = median(port) / median(floor);
  process.stdout.write(
    `bootc-lab image lint benchmark (${new Date().toISOString()}, ${entries.toLocaleString('en')} filesystem entries)\n\n`,
  );
  process.stdout.write(
    [
      '| measure | time |',
      '| --- | ---: |',
      `| \`find <rootfs> -xdev\` (floor, median of 5) | ${median(floor).toFixed(0)} ms |`,
      `| bootc-lab port, all 14 lints (median of 5) | ${median(port).toFixed(0)} ms |`,
      `| ratio port / floor | ${ratio.toFixed(2)}× (target ≤ 3× → ${ratio <= 3 ? 'met' : 'NOT met'}) |`,
      `| attribution, cold | ${cold.timings.attributionMs} ms |`,
      `| attribution, warm | ${warm.timings.attributionMs} ms |`,
      `| whole lint-image (mount + port + attribution), warm | ${warm.timings.rootfsMs + warm.timings.portMs + warm.timings.attributionMs} ms |`,
      `| re-lint after a one-line Containerfile change (excluding the build) | ${relintMs.toFixed(0)} ms (target ≤ 1000 ms → ${relintMs <= 1000 ? 'met' : 'NOT met'}) |`,
    ].join('\n') + '\n',
  );
  process.stdout.write(
    `\nFindings on the test image: ${relint.findings.map((f) => `${f.lint}@${f.range ? f.range.start.line + 1 : '-'}`).join(', ') || 'none'}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
