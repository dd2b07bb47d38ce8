import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { MEASURE_MODES, hostLine, toCsv, toMarkdown, type MeasureMode, type Measurement } from '../../core/src/measure/analyze';
import { measure, type MeasureOptions } from '../../core/src/measure/run';
import { UsageError, interruptible } from './image-commands';

const err = (s: string): boolean => process.stderr.write(s);

export interface MeasureArgs {
  options: Omit<MeasureOptions, 'log' | 'onProgress' | 'onRun'>;
  json: boolean;
  out?: string;
  format: 'json' | 'markdown' | 'csv';
}

/** Parses `measure` arguments; a usage error says which value is wrong. */
export function parseMeasureArgs(argv: string[]): MeasureArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      modes: { type: 'string', default: 'plain,quick' },
      runs: { type: 'string', default: '5' },
      exec: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      format: { type: 'string' },
      settle: { type: 'string', default: '10' },
      timeout: { type: 'string', default: '600' },
      memory: { type: 'string', default: '2048' },
      cpus: { type: 'string', default: '2' },
      accel: { type: 'string', default: 'auto' },
      'kernel-arg': { type: 'string', multiple: true, default: [] },
      'cache-dir': { type: 'string' },
      'work-dir': { type: 'string' },
      podman: { type: 'string' },
      connection: { type: 'string' },
      remote: { type: 'boolean', default: false },
      qemu: { type: 'string' },
      firmware: { type: 'string' },
      filesystem: { type: 'string' },
      'install-in': { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new UsageError('measure needs at least one IMAGE');
  const modes = (values.modes ?? '').split(',').map((s) => s.trim());
  for (const m of modes) {
    if (m === 'pxe') throw new UsageError('--modes pxe: network boot is not in this build of bootc Lab yet');
    if (!MEASURE_MODES.includes(m as MeasureMode)) throw new UsageError(`--modes ${m}: expected plain, quick or install`);
  }
  if (new Set(modes).size !== modes.length) throw new UsageError('--modes: a mode is listed twice');
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} ${v}: expected a number >= ${min}`);
    return n;
  };
  if (!['auto', 'kvm', 'tcg'].includes(values.accel ?? '')) throw new UsageError('--accel: expected auto, kvm or tcg');
  const format = values.format ?? (values.out?.endsWith('.md') ? 'markdown' : values.out?.endsWith('.csv') ? 'csv' : 'json');
  if (format !== 'json' && format !== 'markdown' && format !== 'csv')
    throw new UsageError(`--format ${format}: expected json, markdown or csv`);
  if ((values.firmware || values.filesystem || values['install-in']) && !modes.includes('install'))
    throw new UsageError('--firmware, --filesystem and --install-in apply to --modes install');
  const installIn = values['install-in'];
  if (installIn !== undefined && installIn !== 'auto' && installIn !== 'podman' && installIn !== 'vm')
    throw new UsageError(`--install-in ${installIn}: expected auto, podman or vm`);
  return {
    options: {
      images: positionals,
      modes: modes as MeasureMode[],
      runs: Math.round(num('runs', values.runs, 1)),
      exec: values.exec,
      settleSeconds: num('settle', values.settle, 0),
      bootTimeoutMs: num('timeout', values.timeout, 1) * 1000,
      memoryMb: num('memory', values.memory, 256),
      cpus: num('cpus', values.cpus, 1),
      kvm: values.accel === 'kvm' ? 'on' : values.accel === 'tcg' ? 'off' : 'auto',
      kernelArgs: values['kernel-arg'],
      cacheDir: values['cache-dir'],
      workDir: values['work-dir'],
      podmanPath: values.podman,
      connection: values.connection,
      remote: values.remote,
      qemuPath: values.qemu,
      firmware: values.firmware,
      filesystem: values.filesystem,
      installIn,
    },
    json: values.json ?? false,
    out: values.out,
    format,
  };
}

function render(m: Measurement, format: MeasureArgs['format']): string {
  return format === 'markdown' ? toMarkdown(m) : format === 'csv' ? toCsv(m) : `${JSON.stringify(m, null, 2)}\n`;
}

const mmss = (s: number): string => `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;

/**
 * `bootc-lab measure IMAGE…`: boots each image × mode N times, prints the table (or JSON), writes
 * `--out`. Ctrl+C stops the current boot and reports the runs finished so far. Exit 1 when no run succeeded.
 */
export async function measureCommand(argv: string[]): Promise<number> {
  const a = parseMeasureArgs(argv);
  const ac = interruptible(true);
  const log = (l: string): void => {
    err(`${l}\n`);
  };
  let m: Measurement;
  try {
    m = await measure(
      {
        ...a.options,
        log: (l) => {
          if (!a.json) log(l);
        },
        onProgress: (p) => {
          if (p.next)
            log(
              `Boot ${p.done + 1}/${p.total}: ${p.next.image} (${p.next.mode}) run ${p.next.run + 1}${p.etaSeconds === undefined ? '' : `, about ${mmss(p.etaSeconds)} left`}`,
            );
        },
        onRun: (partial) => {
          // A long measurement is saved after every boot, so an interrupted one keeps what it measured.
          if (a.out) fs.writeFileSync(a.out, render(partial, a.format));
        },
      },
      ac.signal,
    );
  } finally {
    ac.release();
  }
  if (a.out) fs.writeFileSync(a.out, render(m, a.format));
  if (a.json) process.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
  else {
    process.stdout.write(toMarkdown(m));
    if (a.out) err(`Wrote ${a.out}\n`);
    err(`${hostLine(m.host)}\n`);
  }
  return m.variants.some((v) => v.runs.some((r) => !r.failure)) ? 0 : 1;
}
