import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, toCsv, toMarkdown, type Measurement, type MeasureRun } from '../../core/src/measure/analyze';
import { bootstrapRatio, median, quantile, seededRandom, summarize } from '../../core/src/measure/stats';

describe('measure statistics', () => {
  it('median and quartiles interpolate between order statistics (type 7)', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.deepEqual(summarize([1, 2, 3, 4, 5]), { n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4, iqr: 2 });
    const s = summarize([4, 3, 2, 1]);
    assert.equal(s.q1, 1.75);
    assert.equal(s.q3, 3.25);
    assert.equal(s.iqr, 1.5);
    assert.equal(quantile([7], 0.25), 7);
    assert.ok(Number.isNaN(median([])));
  });

  it('the seeded generator repeats itself', () => {
    const a = seededRandom(12);
    const b = seededRandom(12);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(
      xs,
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, seededRandom(13)));
  });

  it('constant samples give an exact ratio and a point interval', () => {
    const r = bootstrapRatio([10, 10, 10, 10, 10], [20, 20, 20, 20, 20]);
    assert.deepEqual(r, { ratio: 2, low: 2, high: 2, noDifference: false });
  });

  it('a known percentile interval: baseline constant, variant 8..12', () => {
    // P(resampled median of {8..12} = 8) = P(≥3 of 5 draws are 8) = 0.058 > 0.025, so both tails sit on the extremes.
    const r = bootstrapRatio([10, 10, 10, 10, 10], [8, 9, 10, 11, 12]);
    assert.ok(r);
    assert.equal(r.ratio, 1);
    assert.equal(r.low, 0.8);
    assert.equal(r.high, 1.2);
    assert.equal(r.noDifference, true);
  });

  it('overlapping samples: no difference; separated samples: a difference inside the possible range', () => {
    const same = bootstrapRatio([10, 11, 12, 13, 14], [10.5, 11.5, 12, 13.5, 14]);
    assert.ok(same?.noDifference);
    const slower = bootstrapRatio([10, 11, 12, 13, 14], [20, 22, 24, 26, 28]);
    assert.ok(slower);
    assert.equal(slower.ratio, 2);
    assert.equal(slower.noDifference, false);
    assert.ok(slower.low > 1 && slower.low >= 20 / 14 && slower.high <= 28 / 10, `${slower.low} ${slower.high}`);
    assert.ok(slower.low <= 2 && slower.high >= 2);
  });

  it('the same samples and seed always give the same interval; another seed may not', () => {
    const a = [10, 12, 11, 15, 13, 9];
    const b = [12, 14, 13, 16, 15, 12];
    assert.deepEqual(bootstrapRatio(a, b), bootstrapRatio(a, b));
    assert.deepEqual(bootstrapRatio(a, b, { seed: 99 })?.ratio, bootstrapRatio(a, b)?.ratio);
  });

  it('no ratio against an empty or zero baseline', () => {
    assert.equal(bootstrapRatio([], [1, 2]), undefined);
    assert.equal(bootstrapRatio([0, 0, 0], [1, 2, 3]), undefined);
  });
});

const run = (index: number, metrics: Record<string, number>, failure?: string): MeasureRun => ({
  sequence: index,
  index,
  startedAt: '2026-01-01T00:00:00Z',
  wallSeconds: 60,
  metrics,
  blame: [],
  failure,
});

function sample(): Measurement {
  return {
    version: 1,
    startedAt: '2026-01-01T00:00:00Z',
    settings: { runs: 5, modes: ['plain', 'quick'], settle_s: 10, memory_mib: 2048, cpus: 2, interval: 'x' },
    variants: [
      {
        image: 'img',
        mode: 'plain',
        runs: [20, 21, 22, 23, 24].map((s, i) => run(i, { ssh_s: s, mem_used_mib: 100 })),
        median: {},
        summary: {},
      },
      {
        image: 'img',
        mode: 'quick',
        runs: [...[30, 31, 33, 60].map((s, i) => run(i, { ssh_s: s, mem_used_mib: 100 })), run(4, {}, 'Boot failed: Kernel panic')],
        median: {},
        summary: {},
      },
    ],
    comparisons: [],
    host: { cpu: 'Test CPU', cores: 2, accel: 'tcg', qemu: 'QEMU emulator version 7.2.0', kernel: '6.1.0', load: [1, 2] },
    warnings: [],
  };
}

describe('measure analysis', () => {
  it('medians leave failed runs out; comparisons are against the first variant', () => {
    const m = analyze(sample());
    assert.equal(m.variants[0]?.median.ssh_s, 22);
    assert.equal(m.variants[1]?.median.ssh_s, 32);
    assert.equal(m.variants[1]?.summary.ssh_s?.n, 4);
    const ssh = m.comparisons.find((c) => c.metric === 'ssh_s');
    assert.ok(ssh);
    assert.equal(ssh.baseline, 'img (plain)');
    assert.equal(ssh.variant, 'img (quick)');
    assert.ok(Math.abs(ssh.ratio - 32 / 22) < 1e-9);
    assert.equal(ssh.no_difference, false);
    const mem = m.comparisons.find((c) => c.metric === 'mem_used_mib');
    assert.deepEqual([mem?.ratio, mem?.low, mem?.high, mem?.no_difference], [1, 1, 1, true]);
  });

  it('warns about TCG, failed boots, too few runs and noise', () => {
    const w = analyze(sample()).warnings.join('\n');
    assert.match(w, /TCG software emulation/);
    assert.match(w, /img \(quick\): 1 of 5 boots failed/);
    assert.match(w, /img \(quick\): only 4 successful runs/);
    assert.match(w, /img \(quick\): noisy .*ssh_s/);
    assert.doesNotMatch(w, /img \(plain\): noisy/);
    const kvm = sample();
    kvm.host.accel = 'kvm';
    assert.doesNotMatch(analyze(kvm).warnings.join('\n'), /TCG/);
  });

  it('exports Markdown and long CSV', () => {
    const m = analyze(sample());
    const md = toMarkdown(m);
    assert.match(md, /\| Time to SSH \(`ssh_s`\) \| 22\.0 \[20\.0–24\.0\] 2\.00 \| 32\.0 \[30\.0–60\.0\] /);
    assert.match(md, /Host: Test CPU, 2 cores, TCG/);
    const csv = toCsv(m).split('\n');
    assert.equal(csv[0], 'image,mode,run,sequence,metric,value,failure');
    assert.ok(csv.includes('img,plain,0,0,ssh_s,20,'));
    assert.ok(csv.includes('img,quick,4,4,,,Boot failed: Kernel panic'));
  });
});
