import { METRICS, metricDef } from './metrics';
import { BOOTSTRAP_DEFAULTS, MIN_RUNS, NOISY_RELATIVE_IQR, bootstrapRatio, relativeIqr, summarize, type Summary } from './stats';

export type MeasureMode = 'plain' | 'quick' | 'install';
export const MEASURE_MODES: readonly MeasureMode[] = ['plain', 'quick', 'install'];

export interface MeasureRun {
  /** Position in the whole measurement (0-based), which shows drift across the session. */
  sequence: number;
  /** The variant's own run number (0-based). */
  index: number;
  startedAt: string;
  wallSeconds: number;
  accel?: 'kvm' | 'tcg';
  metrics: Record<string, number>;
  blame: { unit: string; seconds: number }[];
  units?: { tmpfiles_setup: boolean; ostree: string[]; bootc: string[] };
  failedUnits?: string[];
  execExitCode?: number;
  machineKind?: string;
  failure?: string;
}

export interface MeasureVariant {
  image: string;
  mode: MeasureMode;
  imageId?: string;
  runs: MeasureRun[];
  median: Record<string, number>;
  summary: Record<string, Summary>;
  /** Why no run could be made (e.g. install mode without bootc in the image). */
  skipped?: string;
}

export interface Comparison {
  metric: string;
  baseline: string;
  variant: string;
  ratio: number;
  low: number;
  high: number;
  no_difference: boolean;
}

export interface HostInfo {
  cpu: string;
  cores: number;
  accel: 'kvm' | 'tcg';
  qemu: string;
  kernel: string;
  /** 1-minute load average when the measurement started and ended: a busy host widens intervals. */
  load: [number, number];
}

export interface Measurement {
  version: 1;
  startedAt: string;
  finishedAt?: string;
  cancelled?: boolean;
  settings: {
    runs: number;
    modes: MeasureMode[];
    exec?: string;
    settle_s: number;
    memory_mib: number;
    cpus: number;
    interval: string;
  };
  variants: MeasureVariant[];
  comparisons: Comparison[];
  host: HostInfo;
  warnings: string[];
}

export const variantLabel = (v: { image: string; mode: string }): string => `${v.image} (${v.mode})`;

export const INTERVAL_NOTE = `ratio of medians (variant / baseline) with a 95% percentile bootstrap interval, ${BOOTSTRAP_DEFAULTS.resamples} resamples, seed ${BOOTSTRAP_DEFAULTS.seed}`;

function okRuns(v: MeasureVariant): MeasureRun[] {
  return v.runs.filter((r) => !r.failure);
}

/** Recomputes medians, summaries, comparisons with the first variant and the warnings, from the runs alone. */
export function analyze(m: Measurement): Measurement {
  const variants = m.variants.map((v) => {
    const runs = okRuns(v);
    const summary: Record<string, Summary> = {};
    const med: Record<string, number> = {};
    for (const def of METRICS) {
      const xs = runs.map((r) => r.metrics[def.key]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (xs.length === 0) continue;
      const s = summarize(xs);
      summary[def.key] = s;
      med[def.key] = s.median;
    }
    return { ...v, summary, median: med };
  });
  const comparisons: Comparison[] = [];
  const base = variants.find((v) => okRuns(v).length > 0);
  if (base) {
    for (const v of variants) {
      if (v === base) continue;
      for (const def of METRICS) {
        const a = okRuns(base)
          .map((r) => r.metrics[def.key])
          .filter((x): x is number => typeof x === 'number');
        const b = okRuns(v)
          .map((r) => r.metrics[def.key])
          .filter((x): x is number => typeof x === 'number');
        const ci = bootstrapRatio(a, b);
        if (!ci) continue;
        comparisons.push({
          metric: def.key,
          baseline: variantLabel(base),
          variant: variantLabel(v),
          ratio: ci.ratio,
          low: ci.low,
          high: ci.high,
          no_difference: ci.noDifference,
        });
      }
    }
  }
  return { ...m, variants, comparisons, warnings: warningsFor({ ...m, variants }) };
}

export function warningsFor(m: Pick<Measurement, 'variants' | 'host' | 'cancelled'>): string[] {
  const w: string[] = [];
  if (m.host.accel !== 'kvm')
    w.push(
      'No KVM: the VMs ran under TCG software emulation, which slows CPU-bound work (kernel, initrd, userspace, spawns, reads) many times over and unevenly; compare ratios between variants, not absolute times, and confirm on KVM.',
    );
  if (m.cancelled) w.push('Cancelled: the figures cover only the runs finished before cancelling.');
  for (const v of m.variants) {
    if (v.skipped) {
      w.push(`${variantLabel(v)}: not measured: ${v.skipped}`);
      continue;
    }
    const ok = okRuns(v).length;
    const failed = v.runs.length - ok;
    if (failed) w.push(`${variantLabel(v)}: ${failed} of ${v.runs.length} boots failed and are left out.`);
    if (ok < MIN_RUNS)
      w.push(`${variantLabel(v)}: only ${ok} successful run${ok === 1 ? '' : 's'}; with fewer than ${MIN_RUNS} the intervals mean little.`);
    const noisy = Object.entries(v.summary)
      .filter(([, s]) => s.n >= 2 && relativeIqr(s) > NOISY_RELATIVE_IQR)
      .map(([k]) => k);
    if (noisy.length)
      w.push(
        `${variantLabel(v)}: noisy (IQR above ${NOISY_RELATIVE_IQR * 100}% of the median): ${noisy.join(', ')}; read those ratios loosely or add runs.`,
      );
    const execFailed = v.runs.filter((r) => r.execExitCode !== undefined && r.execExitCode !== 0).length;
    if (execFailed) w.push(`${variantLabel(v)}: the --exec command exited non-zero in ${execFailed} run(s).`);
  }
  return w;
}

const fmt = (n: number | undefined): string => {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
};

/** Three decimals: with two, a ratio of 0.998 [0.998, 0.998] would print as 1.00 yet not be "no difference". */
export const ratioText = (n: number): string => n.toFixed(3);

export function formatRatio(c: Comparison): string {
  return `${ratioText(c.ratio)}× [${ratioText(c.low)}, ${ratioText(c.high)}]${c.no_difference ? ' no difference' : ''}`;
}

export function hostLine(h: HostInfo): string {
  return `${h.cpu}, ${h.cores} cores, ${h.accel.toUpperCase()}${h.accel === 'tcg' ? ' (software emulation)' : ''}, ${h.qemu}, host kernel ${h.kernel}, load ${h.load[0].toFixed(1)} → ${h.load[1].toFixed(1)}`;
}

/** Metrics that at least one variant has, in catalogue order. */
export function presentMetrics(m: Measurement): string[] {
  return METRICS.map((d) => d.key).filter((k) => m.variants.some((v) => v.summary[k]));
}

/** A Markdown table per metric: median [min–max] (IQR) per variant, then the ratio to the baseline. */
export function toMarkdown(m: Measurement): string {
  const vs = m.variants.filter((v) => !v.skipped);
  const base = vs[0];
  const head = [
    'Metric',
    ...vs.map((v) => `${variantLabel(v)} median [min–max] IQR`),
    ...vs.slice(1).map((v) => `${v.mode} vs ${base?.mode ?? ''}`),
  ];
  const rows = presentMetrics(m).map((k) => {
    const def = metricDef(k);
    const cells = vs.map((v) => {
      const s = v.summary[k];
      return s ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}] ${fmt(s.iqr)}` : '–';
    });
    const ratios = vs.slice(1).map((v) => {
      const c = m.comparisons.find((x) => x.metric === k && x.variant === variantLabel(v));
      return c ? formatRatio(c) : '–';
    });
    return [`${def?.label ?? k} (\`${k}\`)`, ...cells, ...ratios];
  });
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const out = [
    `Host: ${hostLine(m.host)}`,
    '',
    `Runs: ${vs.map((v) => `${variantLabel(v)} ${okRuns(v).length}`).join(', ')}; ${m.settings.interval}.`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
  ];
  if (m.warnings.length) out.push('', ...m.warnings.map((w) => `- ${w}`));
  return `${out.join('\n')}\n`;
}

const csvCell = (s: string | number | undefined): string => {
  const t = s === undefined ? '' : String(s);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

/** One row per run and metric (long format): easy to load into a spreadsheet or pandas. */
export function toCsv(m: Measurement): string {
  const rows: (string | number | undefined)[][] = [['image', 'mode', 'run', 'sequence', 'metric', 'value', 'failure']];
  for (const v of m.variants)
    for (const r of v.runs) {
      if (r.failure) rows.push([v.image, v.mode, r.index, r.sequence, '', '', r.failure]);
      for (const [k, x] of Object.entries(r.metrics)) rows.push([v.image, v.mode, r.index, r.sequence, k, x, '']);
    }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/**
 * A later measurement against an earlier one (e.g. two builds of an image): each variant of `later`
 * against the earlier variant of the same image and mode, or else of the same mode.
 */
export function compareMeasurements(earlier: Measurement, later: Measurement): Comparison[] {
  const out: Comparison[] = [];
  for (const v of later.variants) {
    const e =
      earlier.variants.find((x) => x.image === v.image && x.mode === v.mode && !x.skipped) ??
      earlier.variants.find((x) => x.mode === v.mode && !x.skipped);
    if (!e || v.skipped) continue;
    for (const def of METRICS) {
      const pick = (x: MeasureVariant): number[] =>
        okRuns(x)
          .map((r) => r.metrics[def.key])
          .filter((n): n is number => typeof n === 'number');
      const ci = bootstrapRatio(pick(e), pick(v));
      if (!ci) continue;
      out.push({
        metric: def.key,
        baseline: `earlier ${variantLabel(e)}`,
        variant: variantLabel(v),
        ratio: ci.ratio,
        low: ci.low,
        high: ci.high,
        no_difference: ci.noDifference,
      });
    }
  }
  return out;
}

/** Reads a saved measurement (`measure --out`, Export JSON) and recomputes its statistics from the runs. */
export function parseMeasurement(text: string): Measurement {
  const m = JSON.parse(text) as Partial<Measurement>;
  if (m.version !== 1 || !Array.isArray(m.variants) || !m.host)
    throw new Error('not a bootc Lab measurement (expected version 1 with variants and host)');
  return analyze(m as Measurement);
}
