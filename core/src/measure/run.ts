import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { podmanGlobal } from '../podman/build';
import type { PodmanTarget } from '../podman/podman';
import { run } from '../process/run';
import { imageHasBootc } from '../vm/install';
import { kvmUsable } from '../vm/qemu';
import { Vm, type VmOptions } from '../vm/vm';
import {
  INTERVAL_NOTE,
  analyze,
  variantLabel,
  type HostInfo,
  type MeasureMode,
  type MeasureRun,
  type MeasureVariant,
  type Measurement,
} from './analyze';
import { allocatedMib, bootMetrics, parseProbe, probeCommand } from './metrics';
import { median } from './stats';

export interface MeasureOptions extends PodmanTarget {
  images: string[];
  modes: MeasureMode[];
  runs: number;
  exec?: string;
  /** Seconds to wait after boot before reading memory (lets late units and caches settle). */
  settleSeconds?: number;
  memoryMb?: number;
  cpus?: number;
  kvm?: 'auto' | 'on' | 'off';
  qemuPath?: string;
  cacheDir?: string;
  kernelArgs?: string[];
  firmware?: string;
  /** Install mode: root filesystem when the image sets none, and where bootc install runs. */
  filesystem?: string;
  installIn?: 'auto' | 'podman' | 'vm';
  bootTimeoutMs?: number;
  /** Scratch space for quick mode's per-run machine states and the VMs' logs; a temp dir when unset. */
  workDir?: string;
  log?: (line: string) => void;
  onProgress?: (p: MeasureProgress) => void;
  /** Called after each run with the measurement so far (to save partial results). */
  onRun?: (m: Measurement) => void;
  /** Install mode's pre-check; `imageHasBootc` through podman unless replaced. */
  hasBootc?: (image: string) => Promise<boolean>;
}

export interface MeasureProgress {
  done: number;
  total: number;
  /** The boot starting now (undefined when all are done). */
  next?: { image: string; mode: MeasureMode; run: number };
  /** From the median duration of the boots so far; undefined before the first one ends. */
  etaSeconds?: number;
}

/** Run order: round r starts at variant r mod n, so slow drift of the host hits every variant alike. */
export function runOrder(variants: number, runs: number): { variant: number; run: number }[] {
  const out: { variant: number; run: number }[] = [];
  for (let r = 0; r < runs; r++) for (let i = 0; i < variants; i++) out.push({ variant: (r + i) % variants, run: r });
  return out;
}

/**
 * What each mode boots: `plain` is the image root as an ordinary writable disk (a throwaway quick
 * boot), `quick` the same disk read-only with bootc's /etc and /var from a fresh machine state,
 * `install` the disk `bootc install to-disk` writes.
 */
export function vmOptionsFor(mode: MeasureMode, image: string, o: MeasureOptions, runDir: string): VmOptions {
  const common: VmOptions = {
    image,
    memoryMb: o.memoryMb ?? 2048,
    cpus: o.cpus ?? 2,
    kvm: o.kvm ?? 'auto',
    qemuPath: o.qemuPath,
    cacheDir: o.cacheDir,
    kernelArgs: o.kernelArgs,
    podmanPath: o.podmanPath,
    connection: o.connection,
    remote: o.remote,
    stateDir: path.join(runDir, 'vm'),
  };
  if (mode === 'plain') return { ...common, mode: 'quick' };
  if (mode === 'quick') return { ...common, mode: 'quick', machineDir: path.join(runDir, 'machine') };
  return { ...common, mode: 'install', firmware: o.firmware, filesystem: o.filesystem, installIn: o.installIn };
}

export async function hostInfo(o: { qemuPath?: string; kvm?: 'auto' | 'on' | 'off' } = {}): Promise<HostInfo> {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const q = await run({ command: o.qemuPath ?? 'qemu-system-x86_64', args: ['--version'] }, { timeoutMs: 10_000 }).catch(() => undefined);
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    accel: o.kvm !== 'off' && kvmUsable().usable ? 'kvm' : 'tcg',
    qemu: q?.stdout.split('\n')[0]?.trim() || 'QEMU version unknown',
    kernel: os.release(),
    load: [os.loadavg()[0] ?? 0, os.loadavg()[0] ?? 0],
  };
}

const BEFORE_QEMU = 'before QEMU started: ';

export const INSTALL_NO_BOOTC =
  'the image has no /usr/bin/bootc, and install mode runs the image’s own `bootc install to-disk`; build FROM a bootc base image to measure it';

/** Boots every image × mode `runs` times in rotating order and returns the analysed measurement (partial when cancelled). */
export async function measure(o: MeasureOptions, signal?: AbortSignal): Promise<Measurement> {
  const work = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-measure-'));
  fs.mkdirSync(work, { recursive: true });
  const host = await hostInfo(o);
  let m: Measurement = {
    version: 1,
    startedAt: new Date().toISOString(),
    settings: {
      runs: o.runs,
      modes: o.modes,
      exec: o.exec,
      settle_s: o.settleSeconds ?? 10,
      memory_mib: o.memoryMb ?? 2048,
      cpus: o.cpus ?? 2,
      interval: INTERVAL_NOTE,
    },
    variants: o.images.flatMap((image) => o.modes.map((mode): MeasureVariant => ({ image, mode, runs: [], median: {}, summary: {} }))),
    comparisons: [],
    host,
    warnings: [],
  };
  const hasBootc = o.hasBootc ?? ((image: string) => imageHasBootc({ ...o, image }, { signal }));
  for (const v of m.variants)
    if (v.mode === 'install' && !(await hasBootc(v.image).catch(() => false))) {
      v.skipped = INSTALL_NO_BOOTC;
      o.log?.(`${variantLabel(v)}: not measured: ${v.skipped}`);
    }
  const order = runOrder(m.variants.length, o.runs).filter((s) => !m.variants[s.variant]?.skipped);
  const durations: number[] = [];
  const progress = (done: number): void => {
    const next = order[done];
    const v = next ? m.variants[next.variant] : undefined;
    // The median boot, not the mean: one boot that hit the timeout should not triple the estimate.
    const typical = durations.length ? median(durations) : undefined;
    o.onProgress?.({
      done,
      total: order.length,
      next: v && next ? { image: v.image, mode: v.mode, run: next.run } : undefined,
      etaSeconds: typical === undefined ? undefined : typical * (order.length - done),
    });
  };
  try {
    for (let i = 0; i < order.length; i++) {
      const step = order[i];
      const v = step ? m.variants[step.variant] : undefined;
      if (!step || !v || v.skipped) continue;
      if (signal?.aborted) {
        m.cancelled = true;
        break;
      }
      progress(i);
      const t0 = Date.now();
      const runDir = path.join(work, `${String(i).padStart(3, '0')}-${v.mode}`);
      fs.mkdirSync(runDir, { recursive: true });
      const r = await oneRun(v, step.run, i, runDir, o, signal);
      fs.rmSync(runDir, { recursive: true, force: true });
      if (signal?.aborted) {
        m.cancelled = true;
        break;
      }
      v.runs.push(r);
      durations.push((Date.now() - t0) / 1000);
      // A mode that cannot start at all (e.g. rootless install) would fail the same way every time.
      if (v.runs.length === 1 && r.failure?.startsWith(BEFORE_QEMU))
        v.skipped = `its first boot failed before the VM ran: ${r.failure.slice(BEFORE_QEMU.length).split('\n')[0] ?? ''}`;
      m.host.load = [host.load[0], os.loadavg()[0] ?? 0];
      m = analyze(m);
      o.onRun?.(m);
    }
    progress(order.length);
  } finally {
    if (!o.workDir) fs.rmSync(work, { recursive: true, force: true });
  }
  m.host.load = [host.load[0], os.loadavg()[0] ?? 0];
  m.finishedAt = new Date().toISOString();
  return analyze(m);
}

async function oneRun(
  v: MeasureVariant,
  index: number,
  sequence: number,
  runDir: string,
  o: MeasureOptions,
  signal?: AbortSignal,
): Promise<MeasureRun> {
  const log = (l: string): void => o.log?.(`[${variantLabel(v)} #${index + 1}] ${l}`);
  const opts = vmOptionsFor(v.mode, v.image, o, runDir);
  const vm = new Vm({ ...opts, log });
  vm.on('state', (e: { state: string; at: number }) => log(`${e.state} at ${e.at.toFixed(1)} s`));
  const r: MeasureRun = { sequence, index, startedAt: new Date().toISOString(), wallSeconds: 0, metrics: {}, blame: [] };
  const t0 = Date.now();
  let started = false;
  try {
    await vm.start(signal);
    started = true;
    r.accel = vm.accel;
    await vm.waitFor('ssh', o.bootTimeoutMs ?? 600_000, signal);
    const rec = await vm.bootRecord();
    v.imageId ??= rec.imageId;
    Object.assign(r.metrics, bootMetrics(rec));
    r.failedUnits = rec.failedUnits;
    r.machineKind = rec.machine?.kind;
    const probe = await vm.ssh([probeCommand({ settleSeconds: o.settleSeconds ?? 10, exec: o.exec })], o.bootTimeoutMs ?? 600_000);
    if (probe.exitCode !== 0 && !probe.stdout.trim())
      throw new Error(`the guest probe failed (exit ${probe.exitCode}): ${probe.stderr.trim()}`);
    const p = parseProbe(probe.stdout);
    Object.assign(r.metrics, p.metrics);
    r.blame = p.blame.slice(0, 10);
    r.units = { tmpfiles_setup: p.units.tmpfilesSetup, ostree: p.units.ostree, bootc: p.units.bootc };
    r.execExitCode = p.execExitCode;
    const disk = vm.artifacts?.rootDisk ?? vm.install?.baseDisk;
    if (disk && fs.existsSync(disk)) r.metrics.root_image_mib = allocatedMib(fs.statSync(disk));
  } catch (e) {
    r.failure = `${started ? '' : BEFORE_QEMU}${(e as Error).message}`;
    log(`failed: ${r.failure.split('\n')[0] ?? ''}`);
  } finally {
    await vm.stop();
  }
  const stateDisk = opts.machineDir ? path.join(opts.machineDir, 'state.img') : undefined;
  if (stateDisk && fs.existsSync(stateDisk)) r.metrics.state_disk_mib = allocatedMib(fs.statSync(stateDisk));
  r.wallSeconds = Math.round((Date.now() - t0) / 100) / 10;
  return r;
}

/** Tagged images in podman's storage (for picking what to measure). */
export async function listImages(t: PodmanTarget, signal?: AbortSignal): Promise<string[]> {
  const r = await run(
    {
      command: t.podmanPath ?? 'podman',
      args: [...podmanGlobal(t), 'images', '--format', '{{.Repository}}:{{.Tag}}'],
    },
    { signal, timeoutMs: 30_000 },
  );
  return [...new Set(r.stdout.split('\n').map((l) => l.trim()))].filter((l) => l && !l.startsWith('<none>')).sort();
}
