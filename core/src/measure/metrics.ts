import { shQuote } from '../process/sh-quote';
import { parseBlame, type BootRecord } from '../vm/vm';

/** One measured quantity; the key carries its unit (`_s`, `_ms`, `_mib`, `_mb_s`, `_per_s`). */
export interface MetricDef {
  key: string;
  label: string;
  unit: string;
  group: 'boot' | 'memory' | 'disk' | 'files' | 'workload';
  /** Throughputs: a ratio above 1 is an improvement. */
  higherIsBetter?: boolean;
}

export const METRICS: MetricDef[] = [
  { key: 'firmware_s', label: 'Firmware', unit: 's', group: 'boot' },
  { key: 'loader_s', label: 'Boot loader', unit: 's', group: 'boot' },
  { key: 'kernel_s', label: 'Kernel', unit: 's', group: 'boot' },
  { key: 'initrd_s', label: 'Initrd', unit: 's', group: 'boot' },
  { key: 'userspace_s', label: 'Userspace', unit: 's', group: 'boot' },
  { key: 'systemd_total_s', label: 'systemd-analyze total', unit: 's', group: 'boot' },
  { key: 'login_s', label: 'Time to login prompt', unit: 's', group: 'boot' },
  { key: 'ssh_s', label: 'Time to SSH', unit: 's', group: 'boot' },
  { key: 'machine_setup_s', label: 'Machine state setup (shim)', unit: 's', group: 'boot' },
  { key: 'tmpfiles_setup_s', label: 'systemd-tmpfiles-setup', unit: 's', group: 'boot' },
  { key: 'mem_used_mib', label: 'Memory used (MemTotal − MemAvailable)', unit: 'MiB', group: 'memory' },
  { key: 'system_slice_mib', label: 'system.slice memory.current', unit: 'MiB', group: 'memory' },
  { key: 'root_image_mib', label: 'Root image on the host (allocated)', unit: 'MiB', group: 'disk' },
  { key: 'state_disk_mib', label: 'Machine state disk (allocated)', unit: 'MiB', group: 'disk' },
  { key: 'usr_mib', label: 'du /usr', unit: 'MiB', group: 'disk' },
  { key: 'etc_mib', label: 'du /etc', unit: 'MiB', group: 'disk' },
  { key: 'var_mib', label: 'du /var', unit: 'MiB', group: 'disk' },
  { key: 'usr_walk_s', label: 'Cold find /usr', unit: 's', group: 'files' },
  { key: 'usr_lib_read_mb_s', label: 'Cold read of /usr/lib', unit: 'MB/s', group: 'files', higherIsBetter: true },
  { key: 'var_fsync_write_ms', label: '256 KiB fsync write in /var', unit: 'ms', group: 'files' },
  { key: 'spawn_per_s', label: 'Process spawns', unit: '/s', group: 'files', higherIsBetter: true },
  { key: 'exec_s', label: '--exec wall time', unit: 's', group: 'workload' },
];

export const metricDef = (key: string): MetricDef | undefined => METRICS.find((m) => m.key === key);

/** Spawns timed by the probe; enough to dwarf the clock reads, few enough for TCG. */
export const SPAWN_COUNT = 300;

export { shQuote };

/**
 * The guest side of a measurement: a POSIX sh script printing `key=value` lines. Caches are
 * dropped before each cold test; the host's page cache under the VM's disk is not (same for all
 * variants). The user's command runs in a child shell with its output discarded.
 */
export function probeScript(o: { settleSeconds: number; exec?: string }): string {
  const lines = [
    'now() { date +%s%N; }',
    `sleep ${Math.max(0, Math.round(o.settleSeconds))}`,
    "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo",
    'f=/sys/fs/cgroup/system.slice/memory.current; [ -r "$f" ] && echo "system_slice_bytes=$(cat "$f")"',
    'for d in /usr /etc /var; do echo "du_kib=$(du -skx "$d" 2>/dev/null | cut -f1) $d"; done',
    'systemd-analyze blame --no-pager 2>/dev/null | sed "s/^/blame: /"',
    'drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }',
    'drop; t0=$(now); find /usr >/dev/null 2>&1; t1=$(now); echo "usr_walk_ns=$((t1 - t0))"',
    'drop; t0=$(now); b=$(find /usr/lib -type f -exec cat {} + 2>/dev/null | wc -c); t1=$(now)',
    'echo "usr_lib_read_bytes=$b"; echo "usr_lib_read_ns=$((t1 - t0))"',
    'w=/var/tmp/.bootc-lab-measure; t0=$(now); dd if=/dev/zero of="$w" bs=4096 count=64 conv=fsync status=none; t1=$(now); rm -f "$w"',
    'echo "var_fsync_write_ns=$((t1 - t0))"',
    `i=0; t0=$(now); while [ "$i" -lt ${SPAWN_COUNT} ]; do /bin/true; i=$((i + 1)); done; t1=$(now)`,
    'echo "spawn_ns=$((t1 - t0))"',
  ];
  if (o.exec !== undefined)
    lines.push(`t0=$(now); sh -c ${shQuote(o.exec)} >/dev/null 2>&1; rc=$?; t1=$(now)`, 'echo "exec_ns=$((t1 - t0))"; echo "exec_rc=$rc"');
  return lines.join('\n');
}

/** The probe as one remote command line (`sh -c '…'`). */
export function probeCommand(o: { settleSeconds: number; exec?: string }): string {
  return `sh -c ${shQuote(probeScript(o))}`;
}

export interface UnitsSeen {
  /** systemd-tmpfiles-setup.service ran during boot. */
  tmpfilesSetup: boolean;
  ostree: string[];
  bootc: string[];
}

export interface ProbeResult {
  metrics: Record<string, number>;
  blame: { unit: string; seconds: number }[];
  units: UnitsSeen;
  execExitCode?: number;
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;
const MIB = 1024 * 1024;

export function parseProbe(text: string): ProbeResult {
  const kv = new Map<string, number>();
  for (const m of text.matchAll(/^(\w+)=(-?\d+)\s*$/gm)) kv.set(m[1] ?? '', Number(m[2]));
  const metrics: Record<string, number> = {};
  const kib = (k: string): number | undefined => {
    const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kib('MemTotal');
  const avail = kib('MemAvailable');
  if (total !== undefined && avail !== undefined) metrics.mem_used_mib = round((total - avail) / 1024, 1);
  const slice = kv.get('system_slice_bytes');
  if (slice !== undefined) metrics.system_slice_mib = round(slice / MIB, 1);
  for (const m of text.matchAll(/^du_kib=(\d+) \/(usr|etc|var)\s*$/gm)) metrics[`${m[2]}_mib`] = round(Number(m[1]) / 1024, 1);
  const ns = (k: string): number | undefined => {
    const v = kv.get(k);
    return v === undefined ? undefined : v / 1e9;
  };
  const walk = ns('usr_walk_ns');
  if (walk !== undefined) metrics.usr_walk_s = round(walk);
  const readS = ns('usr_lib_read_ns');
  const readBytes = kv.get('usr_lib_read_bytes');
  if (readS && readBytes !== undefined) metrics.usr_lib_read_mb_s = round(readBytes / 1e6 / readS, 1);
  const fsync = ns('var_fsync_write_ns');
  if (fsync !== undefined) metrics.var_fsync_write_ms = round(fsync * 1000, 1);
  const spawn = ns('spawn_ns');
  if (spawn) metrics.spawn_per_s = round(SPAWN_COUNT / spawn, 1);
  const exec = ns('exec_ns');
  if (exec !== undefined) metrics.exec_s = round(exec);
  const blameText = [...text.matchAll(/^blame: (.*)$/gm)].map((m) => m[1] ?? '').join('\n');
  const blame = parseBlame(blameText, Infinity);
  const tmpfiles = blame.find((b) => b.unit === 'systemd-tmpfiles-setup.service');
  if (tmpfiles) metrics.tmpfiles_setup_s = tmpfiles.seconds;
  return {
    metrics,
    blame,
    units: {
      tmpfilesSetup: !!tmpfiles,
      ostree: blame.filter((b) => b.unit.startsWith('ostree-')).map((b) => b.unit),
      bootc: blame.filter((b) => b.unit.startsWith('bootc-')).map((b) => b.unit),
    },
    execExitCode: kv.get('exec_rc'),
  };
}

/** Phase metrics from the boot record (systemd-analyze and the console's login / SSH times). */
export function bootMetrics(rec: BootRecord): Record<string, number> {
  const out: Record<string, number> = {};
  const sa = rec.systemdAnalyze;
  const phases = [
    ['firmware_s', sa?.firmware],
    ['loader_s', sa?.loader],
    ['kernel_s', sa?.kernel],
    ['initrd_s', sa?.initrd],
    ['userspace_s', sa?.userspace],
    ['systemd_total_s', sa?.total],
    ['login_s', rec.states.find((s) => s.state === 'login')?.at],
    ['ssh_s', rec.states.find((s) => s.state === 'ssh')?.at],
    ['machine_setup_s', rec.machine?.setupSeconds],
  ] as const;
  for (const [k, v] of phases) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** Allocated (not apparent) size of a file in MiB: what the image really costs on the host disk. */
export function allocatedMib(st: { blocks: number }): number {
  return round((st.blocks * 512) / MIB, 1);
}
