import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, killTree, run, type CommandSpec, type RunOptions, type RunResult } from '../process/run';
import type { PodmanTarget } from '../podman/podman';
import { ANSI, BootStateTracker, type BootState, type StateEvent } from './boot-states';
import { makeSeedImage, type CloudInitFiles } from './cloud-init';
import { prepareInstallBoot, type InstallArtifacts } from './install';
import { defaultCacheDir, freePort, makeSshKey, prepareQuickBoot, type QuickArtifacts } from './prepare';
import { SHIM_FAILURE, SHIM_MARKER } from './machine-shim';
import {
  applyBoot,
  bootKind,
  openMachine,
  readMachineState,
  STATE_DISK,
  writeMachineState,
  type BootKind,
  type MachineState,
} from './machine-state';
import { openPxeTree, preparePxeTree, serveTree, writeChainScript, type PxeTree } from './pxe';
import { kvmUsable, qemuCommand, quickAppend, sshKeyTmpfiles } from './qemu';

export interface VmOptions extends PodmanTarget {
  image: string;
  mode?: 'quick' | 'install' | 'pxe';
  /** pxe mode: boot this exported tree (`bootc-lab export pxe`) instead of one made from the image. */
  pxeTree?: string;
  firmware?: string;
  /** Install mode: minimum disk size, root filesystem when the image sets none, a software TPM, extra `podman run` arguments. */
  diskSizeGb?: number;
  filesystem?: string;
  tpm?: boolean;
  installRunArgs?: string[];
  /** Install mode: run bootc install in a privileged podman container or in a VM of the image; `auto` picks. */
  installIn?: 'auto' | 'podman' | 'vm';
  memoryMb?: number;
  cpus?: number;
  /** `auto` uses KVM when /dev/kvm is usable. */
  kvm?: 'auto' | 'on' | 'off';
  qemuPath?: string;
  cacheDir?: string;
  /** Per-VM state (keys, console log); a temp dir when unset. */
  stateDir?: string;
  /**
   * Machine state (`--state DIR`): quick mode boots as a bootc machine, read-only image, `/etc` and
   * `/var` kept in DIR across boots, another image an upgrade, the previous one a rollback.
   * Unset: a throwaway boot.
   */
  machineDir?: string;
  /**
   * With a machine state: booting the previous deployment's image is what `bootc switch` to it does (a
   * new deployment, `/etc` merged from the booted one), not a `bootc rollback`. The Upgrade command's choice.
   */
  redeploy?: boolean;
  kernelArgs?: string[];
  qemuArgs?: string[];
  seedImage?: string;
  /** user-data (and meta-data) to attach as a NoCloud seed. */
  cloudInit?: CloudInitFiles;
  log?: (line: string) => void;
}

/** The run's boot record: phase times (seconds since QEMU started) and what the guest reports. */
export interface BootRecord {
  image: string;
  imageId?: string;
  mode: 'quick' | 'install' | 'pxe';
  accel: 'kvm' | 'tcg';
  cached: boolean;
  prepareSeconds: number;
  states: StateEvent[];
  systemdAnalyze?: {
    firmware?: number;
    loader?: number;
    kernel?: number;
    initrd?: number;
    userspace?: number;
    total?: number;
    raw: string;
  };
  blame?: { unit: string; seconds: number }[];
  failedUnits?: string[];
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  diskUsedBytes?: number;
  diskSizeBytes?: number;
  sshPort: number;
  consoleLog: string;
  failure?: string;
  /** With machine state: what this boot was and the deployments after it. */
  machine?: MachineBoot;
}

export interface MachineBoot {
  dir: string;
  /** What the host expected from its record; `kind` is what the guest's shim did. */
  planned: BootKind;
  kind?: BootKind;
  /** The image ID booted before this one (upgrade, rollback). */
  from?: string;
  /** How long the guest's shim took to set the mounts up (copies and the /etc merge included). */
  setupSeconds?: number;
  deployments: MachineState;
}

/** Keeps the newest `keep` run directories (console logs); older ones go. */
export function pruneRuns(dir: string, keep: number, current?: string): void {
  if (!fs.existsSync(dir)) return;
  const runs = fs
    .readdirSync(dir)
    .map((n) => path.join(dir, n))
    .filter((p) => p !== current)
    .map((p) => ({ p, t: fs.statSync(p).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const r of runs.slice(Math.max(0, keep - 1))) fs.rmSync(r.p, { recursive: true, force: true });
}

/** The install VM (TCG included): quick boot to SSH, then bootc's install of the whole image. */
const INSTALL_VM_BOOT_MS = 15 * 60_000;
const INSTALL_VM_RUN_MS = 60 * 60_000;

const SSH_OPTS = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'BatchMode=yes',
  '-o',
  'ConnectTimeout=5',
];

/** Parses `systemd-analyze` ("Startup finished in 1.2s (kernel) + 3.4s (userspace) = 4.6s"). */
export function parseSystemdAnalyze(text: string): NonNullable<BootRecord['systemdAnalyze']> {
  const out: NonNullable<BootRecord['systemdAnalyze']> = { raw: text.trim().split('\n')[0] ?? '' };
  const seconds = (v: string): number => {
    let total = 0;
    for (const m of v.matchAll(/([\d.]+)(min|ms|s|h)/g)) {
      const n = Number(m[1]);
      total += m[2] === 'min' ? n * 60 : m[2] === 'ms' ? n / 1000 : m[2] === 'h' ? n * 3600 : n;
    }
    return Math.round(total * 1000) / 1000;
  };
  for (const m of text.matchAll(/((?:[\d.]+(?:min|ms|s|h)\s*)+)\((firmware|loader|kernel|initrd|userspace)\)/g)) {
    out[m[2] as 'kernel'] = seconds(m[1] ?? '');
  }
  const total = /=\s*((?:[\d.]+(?:min|ms|s|h)\s*)+)/.exec(text);
  if (total) out.total = seconds(total[1] ?? '');
  return out;
}

export function parseBlame(text: string, top = 10): { unit: string; seconds: number }[] {
  return text
    .split('\n')
    .map((l) => /^\s*((?:[\d.]+(?:min|ms|s|h)\s*)+)\s+(\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .slice(0, top)
    .map((m) => ({ unit: m[2] ?? '', seconds: parseSystemdAnalyze(`(kernel) ${m[1]}(kernel)`).kernel ?? 0 }));
}

/**
 * One QEMU VM of an image. `start()` prepares (cached) artifacts and launches QEMU; states are
 * read from the serial log; `stop()` quits QEMU over QMP, kills its process group if needed, and
 * removes sockets and temp files.
 */
export class Vm extends EventEmitter {
  readonly id = `vm-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  sshPort = 0;
  privateKey = '';
  accel: 'kvm' | 'tcg' = 'tcg';
  artifacts?: QuickArtifacts;
  install?: InstallArtifacts;
  pxe?: PxeTree & { served: string[] };
  private closeServer?: () => Promise<void>;
  readonly runtimeDir: string;
  readonly stateDir: string;
  readonly consoleLog: string;
  readonly serialSocket: string;
  readonly qmpSocket: string;
  startedAt = 0;
  proc?: ChildProcess;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  tracker: BootStateTracker;
  commandLine = '';
  private logOffset = 0;
  private poll?: NodeJS.Timeout;
  private sshPoll?: NodeJS.Timeout;
  private stderr = '';
  private prepareSeconds = 0;
  machine?: MachineBoot;
  private releaseMachine?: () => void;
  private logCarry = '';

  constructor(private readonly o: VmOptions) {
    super();
    this.runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-vm-'));
    // The console log outlives the VM (it is part of the run's record); sockets and keys do not.
    this.stateDir = o.stateDir ?? path.join(path.dirname(o.cacheDir ?? defaultCacheDir()), 'runs', this.id);
    fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    pruneRuns(path.dirname(this.stateDir), 20, this.stateDir);
    this.consoleLog = path.join(this.stateDir, 'console.log');
    this.serialSocket = path.join(this.runtimeDir, 'serial.sock');
    this.qmpSocket = path.join(this.runtimeDir, 'qmp.sock');
    this.tracker = new BootStateTracker(() => (this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0));
  }

  get state(): BootState {
    if (this.exited && this.tracker.state !== 'failed')
      return this.tracker.state === 'ssh' || this.tracker.state === 'login' ? 'stopped' : 'failed';
    return this.tracker.state;
  }

  async start(signal?: AbortSignal): Promise<void> {
    const t0 = Date.now();
    const kvm = this.o.kvm === 'off' ? false : this.o.kvm === 'on' ? true : kvmUsable().usable;
    if (this.o.kvm === 'on' && !kvmUsable().usable) throw new Error(`KVM was requested but ${kvmUsable().reason ?? 'is not usable'}`);
    this.accel = kvm ? 'kvm' : 'tcg';
    if (!kvm) this.o.log?.(`No usable KVM (${kvmUsable().reason ?? ''}): running under TCG software emulation, which is much slower.`);
    let install: InstallArtifacts | undefined;
    let netboot: { tftpDir: string; bootfile: string } | undefined;
    if (this.o.mode === 'install')
      install = await prepareInstallBoot(
        { ...this.o, runDir: this.runtimeDir, log: this.o.log, helperBoot: (h, ro) => this.bootInstallHelper(h, ro) },
        { signal },
      );
    else if (this.o.mode === 'pxe') {
      const tree = this.o.pxeTree ? openPxeTree(this.o.pxeTree) : await preparePxeTree({ ...this.o, log: this.o.log }, { signal });
      const srv = await serveTree(tree.dir);
      this.closeServer = srv.close;
      this.pxe = { ...tree, served: srv.requests };
      netboot = {
        tftpDir: path.join(this.runtimeDir, 'tftp'),
        bootfile: writeChainScript(path.join(this.runtimeDir, 'tftp'), tree.dir, srv.port),
      };
    } else this.artifacts = await prepareQuickBoot({ ...this.o, log: this.o.log }, { signal });
    this.install = install;
    if (this.o.machineDir) {
      if (!this.artifacts) throw new Error('Machine state (--state) works with quick boots; install mode keeps its state on its own disk.');
      const dir = path.resolve(this.o.machineDir);
      this.releaseMachine = (await openMachine(dir, { signal })).release;
      const deployments = readMachineState(dir);
      this.machine = { dir, planned: bootKind(deployments, this.artifacts.imageId, this.o.redeploy), deployments };
      this.o.log?.(`Machine state ${dir}: ${this.machine.planned} to ${this.artifacts.imageId.slice(0, 12)}`);
    }
    const key = await makeSshKey(path.join(this.stateDir, 'ssh'), { signal });
    this.privateKey = key.privateKey;
    this.sshPort = await freePort();
    const seed =
      this.o.seedImage ?? (this.o.cloudInit ? await makeSeedImage(this.o.cloudInit, this.runtimeDir, this.id, { signal }) : undefined);
    if (seed) this.o.log?.(`cloud-init: attaching a NoCloud seed (${this.o.cloudInit?.userData ?? seed})`);
    this.prepareSeconds = (Date.now() - t0) / 1000;
    const spec: CommandSpec = qemuCommand({
      qemuPath: this.o.qemuPath,
      memoryMb: this.o.memoryMb ?? 2048,
      cpus: this.o.cpus ?? Math.min(4, os.cpus().length),
      kvm,
      direct: this.artifacts
        ? {
            kernel: this.artifacts.kernel,
            initrd: this.artifacts.initrd,
            rootDisk: this.artifacts.rootDisk,
            append: quickAppend(this.o.kernelArgs, !!this.machine, this.machine?.planned === 'upgrade' && !!this.o.redeploy),
            stateDisk: this.machine ? path.join(this.machine.dir, STATE_DISK) : undefined,
          }
        : undefined,
      disk: install
        ? {
            path: install.overlay,
            format: 'qcow2',
            firmwareCode: install.firmwareCode,
            firmwareVars: install.firmwareVars,
            codeFormat: install.firmware.codeFormat,
            varsFormat: install.firmware.varsFormat,
            requiresSmm: install.firmware.requiresSmm,
          }
        : undefined,
      tpmSocket: install?.tpm?.socket,
      netboot,
      sshPort: this.sshPort,
      credentials: { 'tmpfiles.extra': sshKeyTmpfiles(key.publicKey) },
      serialSocket: this.serialSocket,
      serialLog: this.consoleLog,
      qmpSocket: this.qmpSocket,
      seedImage: seed,
      extraArgs: this.o.qemuArgs,
    });
    this.commandLine = describe(spec);
    this.o.log?.(`$ ${this.commandLine}`);
    if (signal?.aborted) throw new Error('Cancelled');
    await this.spawnQemu(spec);
  }

  private async spawnQemu(spec: CommandSpec): Promise<void> {
    this.startedAt = Date.now();
    const proc = spawn(spec.command, spec.args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => resolve());
      proc.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new Error(
                `${spec.command} was not found: install QEMU (Fedora: sudo dnf install qemu-system-x86; Debian/Ubuntu: sudo apt-get install qemu-system-x86).`,
              )
            : e,
        ),
      );
    });
    proc.once('exit', (code, sig) => {
      this.exited = { code, signal: sig };
      this.readLog();
      this.stopPolling();
      if (this.tracker.state !== 'ssh' && !this.stopping) {
        const tail = this.stderr.trim() || this.consoleTail(10);
        this.tracker.failure ??= `QEMU exited (${sig ?? `code ${code}`}) before the VM was ready${tail ? `: ${tail}` : ''}`;
      }
      this.emit('exit', this.exited);
    });
    this.poll = setInterval(() => this.readLog(), 200);
    this.sshPoll = setInterval(() => void this.probeSsh(), 1500);
  }

  /**
   * Install mode: reboots the guest into what bootc staged. An installed disk boots without
   * -no-reboot, so the same QEMU (same overlay, UEFI variables, TPM and console) runs the next boot;
   * the states start over, and SSH counts only once the console shows the new boot's kernel.
   */
  async reboot(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.install || !this.proc || this.exited)
      throw new Error('Only a running installed VM (install mode) reboots in place: quick and PXE boots start from the image each time.');
    this.stopPolling();
    this.readLog();
    this.tracker = new BootStateTracker(() => (this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0));
    this.startedAt = Date.now();
    this.awaitKernel = true;
    // The connection drops as the guest goes down: its exit status says nothing.
    await this.ssh(['systemctl', 'reboot'], 30_000).catch(() => undefined);
    this.poll = setInterval(() => this.readLog(), 200);
    this.sshPoll = setInterval(() => void this.probeSsh(), 1500);
    await this.waitFor('ssh', timeoutMs, signal);
  }

  /** Set by reboot(): until the new boot's kernel shows, a working SSH is still the old boot's. */
  private awaitKernel = false;

  /** Where `scp` reaches the guest: the forwarded port and the VM's key. */
  sshEndpoint(): { port: number; privateKey: string } {
    return { port: this.sshPort, privateKey: this.privateKey };
  }

  private stopping = false;
  private probing = false;

  private readLog(): void {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.consoleLog, 'r');
      const size = fs.fstatSync(fd).size;
      if (size <= this.logOffset) return;
      const buf = Buffer.alloc(size - this.logOffset);
      fs.readSync(fd, buf, 0, buf.length, this.logOffset);
      this.logOffset = size;
      const text = buf.toString('utf8');
      this.emit('console', text);
      if (this.machine && !this.machine.kind) this.machineLine(text);
      for (const ev of this.tracker.feed(text)) this.emit('state', ev);
    } catch {
      // not created yet
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** The shim's console line says what it did: record that deployment on the host. */
  private machineLine(text: string): void {
    const m = this.machine;
    const imageId = this.artifacts?.imageId;
    if (!m || !imageId) return;
    const seen = this.logCarry + text;
    this.logCarry = seen.slice(-300);
    const bad = SHIM_FAILURE.exec(seen);
    if (bad) {
      this.tracker.failure ??= `machine state: ${bad[1]?.trim() ?? ''}`;
      return;
    }
    const ok = SHIM_MARKER.exec(seen);
    if (!ok) return;
    m.kind = ok[1] as BootKind;
    m.from = ok[3];
    m.setupSeconds = Number(ok[4]);
    m.deployments = applyBoot(m.deployments, m.kind, this.o.image, imageId);
    writeMachineState(m.dir, m.deployments);
    this.emit('machine', m);
  }

  private async probeSsh(): Promise<void> {
    if (this.probing || this.exited || this.tracker.state === 'ssh' || this.tracker.state === 'failed') return;
    if (this.awaitKernel) {
      if (!this.tracker.events.some((e) => e.state === 'kernel')) return;
      this.awaitKernel = false;
    }
    this.probing = true;
    try {
      const r = await this.ssh(['true'], 10_000);
      if (r.exitCode === 0 && (this.tracker.state as BootState) !== 'ssh') {
        this.readLog();
        this.emit('state', this.tracker.sshReady());
        if (this.sshPoll) clearInterval(this.sshPoll);
      }
    } catch {
      // not up yet
    } finally {
      this.probing = false;
    }
  }

  /** Runs a command in the guest over SSH (argv joined by ssh; no local shell involved). */
  ssh(command: string[], timeoutMs = 60_000, ro: RunOptions = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    return run(
      { command: 'ssh', args: [...SSH_OPTS, '-i', this.privateKey, '-p', String(this.sshPort), 'root@127.0.0.1', '--', ...command] },
      { ...ro, timeoutMs },
    );
  }

  /** The install VM: this image in quick mode with the install disks attached, one command over SSH, then stopped. */
  private async bootInstallHelper(h: { qemuArgs: string[]; command: string[] }, ro: RunOptions): Promise<RunResult> {
    // A directory of its own: Vm prunes the siblings of its state directory.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-install-vm-'));
    const log = (l: string) => this.o.log?.(`[install VM] ${l}`);
    const helper = new Vm({
      ...this.o,
      mode: 'quick',
      machineDir: undefined,
      cloudInit: undefined,
      seedImage: undefined,
      stateDir: path.join(scratch, 'state'),
      memoryMb: Math.max(this.o.memoryMb ?? 2048, 2048),
      qemuArgs: [...(this.o.qemuArgs ?? []), ...h.qemuArgs],
      log,
    });
    try {
      await helper.start(ro.signal);
      await helper.waitFor('ssh', INSTALL_VM_BOOT_MS, ro.signal);
      return await helper.ssh(h.command, INSTALL_VM_RUN_MS, { signal: ro.signal, onStdout: log, onStderr: log });
    } finally {
      await helper.stop();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** The `ssh` command line a user can paste, and a `~/.ssh/config` host entry for Remote - SSH. */
  sshCommandLine(): string[] {
    return [
      'ssh',
      ...SSH_OPTS.filter((_o, i, all) => all[i] !== 'BatchMode=yes' && all[i + 1] !== 'BatchMode=yes'),
      '-i',
      this.privateKey,
      '-p',
      String(this.sshPort),
      'root@127.0.0.1',
    ];
  }

  sshConfigEntry(host = `bootc-lab-${this.id}`): string {
    return `Host ${host}\n  HostName 127.0.0.1\n  Port ${this.sshPort}\n  User root\n  IdentityFile ${this.privateKey}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n`;
  }

  /** Resolves when the state is reached; rejects on failure, QEMU exit or timeout (with the console tail). */
  waitFor(state: 'login' | 'ssh', timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const order = ['starting', 'kernel', 'initrd', 'switch-root', 'userspace', 'login', 'ssh'];
    const reached = (): boolean => this.tracker.events.some((e) => order.indexOf(e.state) >= order.indexOf(state));
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        clearInterval(check);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => done(new Error('Cancelled'));
      const check = setInterval(() => {
        if (reached()) done();
        else if (this.tracker.failure) done(new Error(`Boot failed: ${this.tracker.failure}\n${this.consoleTail(15)}`));
        else if (this.exited) done(new Error(`QEMU exited before ${state}: ${this.tracker.failure ?? ''}\n${this.consoleTail(15)}`));
      }, 100);
      const timer = setTimeout(
        () =>
          done(
            new Error(
              `The VM did not reach ${state} within ${Math.round(timeoutMs / 1000)} s (last state: ${this.tracker.state}). Last console lines:\n${this.consoleTail(15)}`,
            ),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  consoleTail(lines: number): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8').replace(ANSI, '').replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** systemd-analyze, blame, failed units, memory and disk use; needs SSH. */
  async bootRecord(): Promise<BootRecord> {
    const rec: BootRecord = {
      image: this.o.image,
      imageId: this.artifacts?.imageId ?? this.install?.imageId ?? this.pxe?.imageId,
      mode: this.o.mode ?? 'quick',
      accel: this.accel,
      cached: !!(this.artifacts?.cached ?? this.install?.cached ?? this.pxe?.cached),
      prepareSeconds: Math.round(this.prepareSeconds * 1000) / 1000,
      states: this.tracker.events,
      sshPort: this.sshPort,
      consoleLog: this.consoleLog,
      failure: this.tracker.failure,
      machine: this.machine,
    };
    if (this.tracker.state !== 'ssh') return rec;
    for (let i = 0; i < 30; i++) {
      const a = await this.ssh(['systemd-analyze'], 30_000).catch(() => undefined);
      if (a && a.exitCode === 0) {
        rec.systemdAnalyze = parseSystemdAnalyze(a.stdout);
        break;
      }
      // "Bootup is not yet finished": wait for the remaining units.
      await new Promise((r) => setTimeout(r, 1000));
    }
    const blame = await this.ssh(['systemd-analyze', 'blame', '--no-pager'], 30_000).catch(() => undefined);
    if (blame?.exitCode === 0) rec.blame = parseBlame(blame.stdout);
    const failed = await this.ssh(['systemctl', '--failed', '--no-legend', '--plain', '--no-pager'], 30_000).catch(() => undefined);
    if (failed)
      rec.failedUnits = failed.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0] ?? '')
        .filter(Boolean);
    const mem = await this.ssh(['cat', '/proc/meminfo'], 30_000).catch(() => undefined);
    if (mem?.exitCode === 0) {
      const kb = (k: string): number | undefined => {
        const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(mem.stdout);
        return m ? Number(m[1]) * 1024 : undefined;
      };
      rec.memoryTotalBytes = kb('MemTotal');
      const avail = kb('MemAvailable');
      if (rec.memoryTotalBytes !== undefined && avail !== undefined) rec.memoryUsedBytes = rec.memoryTotalBytes - avail;
    }
    const df = await this.ssh(['df', '-B1', '--output=used,size', '/'], 30_000).catch(() => undefined);
    const m = df ? /(\d+)\s+(\d+)\s*$/.exec(df.stdout.trim()) : undefined;
    if (m) {
      rec.diskUsedBytes = Number(m[1]);
      rec.diskSizeBytes = Number(m[2]);
    }
    return rec;
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    if (this.sshPoll) clearInterval(this.sshPoll);
    this.poll = undefined;
    this.sshPoll = undefined;
  }

  /** Sends one QMP command (after the capabilities handshake). */
  private qmp(command: string, timeoutMs = 3000): Promise<boolean> {
    return new Promise((resolve) => {
      const sock = net.createConnection(this.qmpSocket);
      let buf = '';
      let sent = false;
      const finish = (ok: boolean): void => {
        clearTimeout(t);
        sock.destroy();
        resolve(ok);
      };
      const t = setTimeout(() => finish(false), timeoutMs);
      sock.on('error', () => finish(false));
      sock.on('close', () => finish(sent));
      sock.on('data', (d) => {
        buf += d.toString();
        if (!sent && buf.includes('"QMP"')) {
          sock.write('{"execute":"qmp_capabilities"}\n');
          sock.write(`{"execute":"${command}"}\n`);
          sent = true;
        }
      });
    });
  }

  /** Stops QEMU (QMP quit, then SIGTERM/SIGKILL of its group) and removes sockets and temp files. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopPolling();
    const p = this.proc;
    // QMP quit is a power cut: flush the machine state's page cache first (ext4's journal does the rest).
    if (p && !this.exited && this.machine && this.tracker.state === 'ssh') await this.ssh(['sync'], 15_000).catch(() => undefined);
    if (p && !this.exited) {
      const exited = new Promise<void>((r) => (this.exited ? r() : p.once('exit', () => r())));
      await this.qmp('quit');
      const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!graceful) {
        killTree(p.pid, 'SIGTERM');
        const termed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
        if (!termed) {
          killTree(p.pid, 'SIGKILL');
          await exited;
        }
      }
    }
    this.readLog();
    // swtpm ends with QEMU's connection; this covers a QEMU that never connected.
    if (this.install?.tpm) killTree(this.install.tpm.pid, 'SIGTERM');
    await this.closeServer?.();
    fs.rmSync(this.runtimeDir, { recursive: true, force: true });
    fs.rmSync(path.join(this.stateDir, 'ssh'), { recursive: true, force: true });
    this.releaseMachine?.();
    this.releaseMachine = undefined;
    this.emit('stopped');
  }
}
