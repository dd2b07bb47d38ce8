import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { diffImages, type ImageDiff } from '../../core/src/image/diff';
import { inspectImage } from '../../core/src/podman/podman';
import { findCloudInit } from '../../core/src/vm/cloud-init';
import { bootcStatusOf, stageRollback, stageUpgrade } from '../../core/src/vm/install-lifecycle';
import { describeDeployments, readMachineState, shortId } from '../../core/src/vm/machine-state';
import { cacheEntries, defaultCacheDir, pruneCache } from '../../core/src/vm/prepare';
import { Vm, type BootRecord } from '../../core/src/vm/vm';
import type { StateEvent } from '../../core/src/vm/boot-states';
import { readConfig } from './config';
import { newRunId, type RunStore, type UpgradeRecord } from './runs';

/** Settings of the VM features (`bootcLab.vm.*`). */
export function vmConfig(resource?: vscode.Uri): {
  memoryMb: number;
  cpus: number;
  kernelArgs: string[];
  qemuArgs: string[];
  accel: 'auto' | 'on' | 'off';
  mode: 'quick' | 'install';
  firmware?: string;
  diskSizeGb?: number;
  filesystem?: string;
  installIn: 'auto' | 'podman' | 'vm';
  tpm?: boolean;
  cacheDir: string;
  cacheLimitGb: number;
  qemuPath: string;
  timeoutSec: number;
  cloudInit?: string;
  machineState: 'perContainerfile' | 'off';
} {
  const c = vscode.workspace.getConfiguration('bootcLab.vm', resource);
  const accel = c.get<string>('accel', 'auto');
  const tpm = c.get<string>('tpm', 'auto');
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : vscode.workspace.workspaceFolders?.[0];
  const cacheDir = c.get<string>('cacheDir', '');
  return {
    memoryMb: c.get<number>('memoryMb', 2048),
    cpus: c.get<number>('cpus', 2),
    kernelArgs: c.get<string[]>('kernelArgs', []),
    qemuArgs: c.get<string[]>('qemuArgs', []),
    accel: accel === 'kvm' ? 'on' : accel === 'tcg' ? 'off' : 'auto',
    mode: c.get<string>('mode', 'quick') === 'install' ? 'install' : 'quick',
    firmware: c.get<string>('firmware', '') || undefined,
    diskSizeGb: c.get<number>('diskSizeGb', 0) || undefined,
    filesystem: c.get<string>('filesystem', '') || undefined,
    installIn: ((v) => (v === 'podman' || v === 'vm' ? v : 'auto'))(c.get<string>('installIn', 'auto')),
    tpm: tpm === 'on' ? true : tpm === 'off' ? false : undefined,
    // The extension host's working directory is arbitrary: a relative cache dir means the workspace's.
    cacheDir: cacheDir ? path.resolve(folder?.uri.fsPath ?? os.homedir(), cacheDir) : defaultCacheDir(),
    cacheLimitGb: c.get<number>('cacheLimitGb', 20),
    qemuPath: c.get<string>('qemuPath', '') || 'qemu-system-x86_64',
    timeoutSec: c.get<number>('bootTimeoutSeconds', 600),
    cloudInit: c.get<string>('cloudInit', '') || undefined,
    machineState: c.get<string>('machineState', 'perContainerfile') === 'off' ? 'off' : 'perContainerfile',
  };
}

/** The serial console as an interactive terminal, connected to QEMU's serial socket. */
class ConsoleTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<void>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private sock?: net.Socket;

  constructor(private readonly vm: Vm) {}

  open(): void {
    this.write.fire(`\x1b[2mbootc Lab: serial console of ${this.vm.id} (log: ${this.vm.consoleLog})\x1b[0m\r\n`);
    const connect = (tries: number): void => {
      const s = net.createConnection(this.vm.serialSocket);
      s.on('connect', () => {
        this.sock = s;
        // Wake a getty that already printed its prompt.
        s.write('\r');
      });
      s.on('data', (d) => this.write.fire(d.toString('utf8').replace(/(?<!\r)\n/g, '\r\n')));
      s.on('error', () => {
        if (tries > 0 && !this.vm.exited) setTimeout(() => connect(tries - 1), 300);
      });
      s.on('close', () => {
        if (this.sock === s) this.done.fire();
      });
    };
    connect(50);
  }

  handleInput(data: string): void {
    this.sock?.write(data);
  }

  close(): void {
    this.sock?.destroy();
  }
}

interface Running {
  vm: Vm;
  image: string;
  file?: string;
  runId: string;
  console?: vscode.Terminal;
  startedAt: number;
  /** Machine state kept across boots (quick mode); unset for a throwaway VM. */
  machineDir?: string;
  record?: BootRecord;
}

export interface BootOptions {
  /** Machine state to boot with; by default the Containerfile's own (`bootcLab.vm.machineState`). */
  machineDir?: string;
  /** Boot the previous deployment's image as a new deployment (bootc switch), not a rollback. */
  redeploy?: boolean;
  /** Set when this boot moves a machine to another image. */
  upgrade?: Omit<UpgradeRecord, 'to' | 'machineDir'>;
}

/**
 * What the upgrade changes, compared before the reboot (bootc-lab diff). A failed diff must not block the
 * upgrade itself: it is logged and the record says there is none.
 */
async function upgradeDiff(
  from: { image: string; imageId: string },
  to: { image: string; imageId: string },
  file: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<ImageDiff | undefined> {
  const podman = readConfig(file);
  try {
    return await diffImages({
      oldImage: from.imageId,
      newImage: to.imageId,
      file: file?.fsPath,
      podmanPath: podman.podmanPath,
      connection: podman.connection,
      remote: podman.remote,
      log: (l) => log.info(l),
    });
  } catch (e) {
    log.warn(`No image diff for the upgrade: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** Running VMs, their status bar item, console and SSH terminals, and clean-up on stop or exit. */
export class VmManager implements vscode.Disposable {
  private readonly vms = new Map<string, Running>();
  private readonly status = vscode.window.createStatusBarItem('bootcLab.vm', vscode.StatusBarAlignment.Left, 50);
  private readonly ticker: NodeJS.Timeout;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly storage: vscode.Uri,
    private readonly runs: RunStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status.name = 'bootc VM';
    this.status.command = 'bootc.showVms';
    this.ticker = setInterval(() => this.render(), 1000);
  }

  list(): Running[] {
    return [...this.vms.values()];
  }

  private render(): void {
    const vms = this.list();
    if (vms.length === 0) {
      this.status.hide();
      return;
    }
    const first = vms[0];
    if (!first) return;
    const up = Math.floor((Date.now() - first.startedAt) / 1000);
    const uptime = up >= 60 ? `${Math.floor(up / 60)}m${String(up % 60).padStart(2, '0')}s` : `${up}s`;
    const name = first.image.replace(/^localhost\//, '');
    this.status.text = `$(vm-running) ${name} · ${first.vm.state} · ${uptime}${vms.length > 1 ? ` (+${vms.length - 1})` : ''}`;
    this.status.tooltip = new vscode.MarkdownString(
      vms.map((v) => `**${v.image}** (${v.vm.accel.toUpperCase()}) — ${v.vm.state}, SSH 127.0.0.1:${v.vm.sshPort}`).join('\n\n'),
    );
    this.status.backgroundColor = first.vm.accel === 'tcg' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.status.show();
  }

  /** One machine state per Containerfile (or per image when there is none), in the extension's storage. */
  machineDirFor(image: string, file?: vscode.Uri): string {
    const key = file?.fsPath ?? image;
    const name = path.basename(file ? path.dirname(file.fsPath) : image).replace(/[^\w.-]+/g, '_');
    const hash = crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);
    return vscode.Uri.joinPath(this.storage, 'machines', `${name}-${hash}`).fsPath;
  }

  /**
   * Install mode runs the real bootc, so Upgrade and Roll Back are its own `bootc switch` (the build
   * copied in as an OCI archive) and `bootc rollback`, then a reboot of the running VM. Without a
   * running install-mode VM there is nothing to upgrade: say so.
   */
  private installMode(file: vscode.Uri | undefined, r: Running | undefined): boolean {
    if (r ? !r.vm.install : vmConfig(file).mode !== 'install') return false;
    if (!r)
      void vscode.window.showInformationMessage(
        'bootc: boot the image in install mode first; Upgrade and Roll Back then run bootc switch / bootc rollback inside that VM and reboot it.',
      );
    return true;
  }

  private async bootcInVm(r: Running, action: 'upgrade' | 'rollback', image: string, file?: vscode.Uri): Promise<Running> {
    const podman = readConfig(file);
    const title = action === 'upgrade' ? `bootc: upgrading ${r.image} to ${image}` : `bootc: rolling back ${r.image}`;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          const log = (l: string): void => {
            this.log.info(l);
            progress.report({ message: l.slice(0, 100) });
          };
          const staged =
            action === 'upgrade'
              ? await stageUpgrade(
                  r.vm,
                  { image, podmanPath: podman.podmanPath, connection: podman.connection, remote: podman.remote, log },
                  { signal: ac.signal },
                )
              : await stageRollback(r.vm, { log }, { signal: ac.signal });
          log(
            `bootc status: booted ${staged.booted?.image ?? '?'}, next boot ${staged.staged?.image ?? staged.rollback?.image ?? '?'}; rebooting`,
          );
          this.emitter.fire();
          await r.vm.reboot(vmConfig(file).timeoutSec * 1000, ac.signal);
          const now = await bootcStatusOf(r.vm, { signal: ac.signal });
          this.log.info(
            `bootc status after the reboot: booted ${now.booted?.image ?? '?'} (${now.booted?.imageDigest ?? ''}), rollback ${now.rollback?.image ?? 'none'}`,
          );
          void vscode.window.showInformationMessage(
            `bootc: ${action === 'upgrade' ? 'upgraded' : 'rolled back'}; the VM booted ${now.booted?.image ?? '?'}.`,
          );
        },
      );
    } catch (e) {
      void vscode.window.showErrorMessage(`bootc: ${action} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.emitter.fire();
    return r;
  }

  /** The running VM with this id, or the only/first one. */
  find(id?: string): Running | undefined {
    return id ? this.vms.get(id) : this.list()[0];
  }

  /** `bootc status` of a running VM's machine: booted and previous deployments. */
  deployments(id: string): { role: 'booted' | 'previous'; image: string; imageId: string }[] {
    const dir = this.vms.get(id)?.machineDir;
    if (!dir) return [];
    try {
      return describeDeployments(readMachineState(dir));
    } catch {
      return [];
    }
  }

  /**
   * Reboots the machine into `image` (the current build) with its state: an upgrade, /etc merged and
   * /var kept. Works on a running VM (stopped first) or on the Containerfile's stopped machine.
   */
  async upgrade(image: string, file: vscode.Uri | undefined, r?: Running): Promise<Running | undefined> {
    if (this.installMode(file, r)) return r ? this.bootcInVm(r, 'upgrade', image, file) : r;
    const machineDir = r?.machineDir ?? this.machineDirFor(image, file);
    const booted = readMachineState(machineDir).booted;
    const to = { image, imageId: (await inspectImage(readConfig(file), image)).Id };
    if (booted?.imageId === to.imageId) {
      void vscode.window.showInformationMessage(`bootc: the VM already runs this build of ${image} (${shortId(to.imageId)}).`);
      return r;
    }
    const diff = booted ? await upgradeDiff(booted, to, file, this.log) : undefined;
    const before = r?.record as unknown as Record<string, unknown> | undefined;
    if (r) await this.stop(r.vm.id);
    // An upgrade is bootc switch: even to the image of the rollback deployment, a new deployment.
    return this.boot(image, file, {
      machineDir,
      redeploy: true,
      upgrade: booted ? { action: 'upgrade', from: { image: booted.image, imageId: booted.imageId }, before, diff } : undefined,
    });
  }

  /** Boots the machine's previous deployment with the same state, as `bootc rollback` and a reboot. */
  async rollback(file: vscode.Uri | undefined, r?: Running): Promise<Running | undefined> {
    if (this.installMode(file, r)) return r ? this.bootcInVm(r, 'rollback', r.image, file) : r;
    const machineDir = r?.machineDir ?? (file ? this.machineDirFor('', file) : undefined);
    const state = machineDir ? readMachineState(machineDir) : undefined;
    if (!machineDir || !state?.booted || !state.previous) {
      void vscode.window.showInformationMessage('bootc: this VM has no earlier deployment to roll back to. Upgrade it first.');
      return r;
    }
    const before = r?.record as unknown as Record<string, unknown> | undefined;
    if (r) await this.stop(r.vm.id);
    // By image ID: the tag may point to a newer build by now.
    return this.boot(state.previous.imageId, file ?? (r?.file ? vscode.Uri.file(r.file) : undefined), {
      machineDir,
      upgrade: { action: 'rollback', from: { image: state.booted.image, imageId: state.booted.imageId }, before },
    });
  }

  /** Boots an image with a progress notification; opens its console; records the boot. */
  async boot(image: string, file?: vscode.Uri, opts: BootOptions = {}): Promise<Running | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('bootc Lab does not start VMs in an untrusted workspace.');
      return undefined;
    }
    const cfg = vmConfig(file);
    // VMs use the podman (and connection) the image was built with: install mode reads the image from it.
    const podman = readConfig(file);
    const runId = newRunId('boot');
    // cloud-init: user-data next to the Containerfile, or the configured file or folder.
    const cloudInit = findCloudInit(cfg.cloudInit) ?? (file ? findCloudInit(path.dirname(file.fsPath)) : undefined);
    const machineDir =
      opts.machineDir ?? (cfg.mode === 'quick' && cfg.machineState === 'perContainerfile' ? this.machineDirFor(image, file) : undefined);
    // One VM per machine: booting a new build of the same Containerfile reboots its machine into it.
    const clash = machineDir ? this.list().find((v) => v.machineDir === machineDir) : undefined;
    if (clash) {
      this.log.info(`Stopping ${clash.vm.id}: ${image} boots with its machine state ${machineDir}`);
      await this.stop(clash.vm.id);
    }
    const vm = new Vm({
      image,
      mode: cfg.mode,
      memoryMb: cfg.memoryMb,
      cpus: cfg.cpus,
      kvm: cfg.accel,
      kernelArgs: cfg.kernelArgs,
      qemuArgs: cfg.qemuArgs,
      firmware: cfg.firmware,
      diskSizeGb: cfg.diskSizeGb,
      filesystem: cfg.filesystem,
      installIn: cfg.installIn,
      tpm: cfg.tpm,
      podmanPath: podman.podmanPath,
      connection: podman.connection,
      remote: podman.remote,
      cacheDir: cfg.cacheDir,
      qemuPath: cfg.qemuPath,
      cloudInit,
      machineDir,
      redeploy: opts.redeploy,
      stateDir: vscode.Uri.joinPath(this.storage, 'vms', runId).fsPath,
      log: (l) => this.log.info(l),
    });
    const running: Running = { vm, image, file: file?.fsPath, runId, startedAt: Date.now(), machineDir };
    const upgrade = (imageId?: string): UpgradeRecord | undefined =>
      opts.upgrade && machineDir ? { ...opts.upgrade, to: { image, imageId: imageId ?? '' }, machineDir } : undefined;
    vm.on('machine', () => this.emitter.fire());
    const startedAt = Date.now();
    await this.runs.put({ id: runId, kind: 'boot', file: file?.fsPath ?? '', image, status: 'running', startedAt });
    const ok = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `bootc: booting ${image}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        vm.on('state', (e: StateEvent) => progress.report({ message: `${e.state} (${e.at.toFixed(1)} s)` }));
        try {
          await vm.start(ac.signal);
          if (vm.accel === 'tcg')
            void vscode.window.showWarningMessage('No usable KVM here: the VM runs under TCG software emulation and boots slowly.');
          this.vms.set(vm.id, running);
          this.emitter.fire();
          running.console = this.openConsole(running);
          vm.once('exit', () => void this.onExit(running));
          await vm.waitFor('ssh', cfg.timeoutSec * 1000, ac.signal);
          return true;
        } catch (e) {
          this.log.error(`Boot of ${image} failed: ${(e as Error).message}`);
          void vscode.window.showErrorMessage(`bootc: ${(e as Error).message.split('\n')[0]}`, 'Show Console Log').then((p) => {
            if (p) void vscode.window.showTextDocument(vscode.Uri.file(vm.consoleLog));
          });
          await this.stop(vm.id);
          await this.runs.put({
            id: runId,
            kind: 'boot',
            file: file?.fsPath ?? '',
            image,
            status: ac.signal.aborted ? 'cancelled' : 'failed',
            startedAt,
            durationMs: Date.now() - startedAt,
            failure: { message: (e as Error).message.split('\n')[0] ?? '' },
            boot: { states: vm.tracker.events, accel: vm.accel, machine: vm.machine },
            upgrade: upgrade(vm.artifacts?.imageId),
          });
          return false;
        }
      },
    );
    if (!ok) return undefined;
    const record: BootRecord = await vm.bootRecord();
    running.record = record;
    await this.runs.put({
      id: runId,
      kind: 'boot',
      file: file?.fsPath ?? '',
      image,
      imageId: record.imageId,
      status: 'ok',
      startedAt,
      durationMs: Date.now() - startedAt,
      boot: record as unknown as Record<string, unknown>,
      upgrade: upgrade(record.imageId),
    });
    pruneCache(cfg.cacheLimitGb * 1024 ** 3, cfg.cacheDir, vm.artifacts ? path.dirname(vm.artifacts.rootDisk) : undefined);
    void vscode.window
      .showInformationMessage(`bootc: ${image} is up (SSH on 127.0.0.1:${vm.sshPort}).`, 'SSH', 'Open Results')
      .then((p) => {
        if (p === 'SSH') void vscode.commands.executeCommand('bootc.sshVm', vm.id);
        if (p === 'Open Results') void vscode.commands.executeCommand('bootc.showResults', runId);
      });
    return running;
  }

  openConsole(r: Running): vscode.Terminal {
    const t = vscode.window.createTerminal({
      name: `bootc console: ${r.image.replace(/^localhost\//, '')}`,
      pty: new ConsoleTerminal(r.vm),
      iconPath: new vscode.ThemeIcon('vm'),
    });
    t.show(true);
    return t;
  }

  ssh(id?: string): void {
    const r = id ? this.vms.get(id) : this.list()[0];
    if (!r) {
      void vscode.window.showInformationMessage('No bootc VM is running.');
      return;
    }
    const [cmd, ...args] = r.vm.sshCommandLine();
    // The terminal runs ssh directly: no shell parses the arguments.
    const t = vscode.window.createTerminal({
      name: `bootc ssh: ${r.image.replace(/^localhost\//, '')}`,
      shellPath: cmd,
      shellArgs: args,
      iconPath: new vscode.ThemeIcon('remote'),
    });
    t.show();
  }

  async copySshConfig(id?: string): Promise<void> {
    const r = id ? this.vms.get(id) : this.list()[0];
    if (!r) return;
    await vscode.env.clipboard.writeText(r.vm.sshConfigEntry());
    void vscode.window.showInformationMessage('SSH host entry copied: paste it into ~/.ssh/config to use it with Remote - SSH.');
  }

  private async onExit(r: Running): Promise<void> {
    if (!this.vms.has(r.vm.id)) return;
    this.vms.delete(r.vm.id);
    await r.vm.stop();
    this.emitter.fire();
    this.render();
  }

  async stop(id?: string): Promise<void> {
    const targets = id ? [this.vms.get(id)].filter((x): x is Running => !!x) : this.list();
    for (const r of targets) {
      this.vms.delete(r.vm.id);
      await r.vm.stop();
      r.console?.dispose();
    }
    this.emitter.fire();
    this.render();
  }

  async clearCache(): Promise<void> {
    const cfg = vmConfig();
    const inUse = new Set(this.list().map((r) => (r.vm.artifacts ? path.dirname(r.vm.artifacts.rootDisk) : '')));
    const entries = cacheEntries(cfg.cacheDir).filter((e) => !inUse.has(e.dir));
    const bytes = entries.reduce((s, e) => s + e.bytes, 0);
    const { rmSync } = await import('node:fs');
    for (const e of entries) rmSync(e.dir, { recursive: true, force: true });
    void vscode.window.showInformationMessage(`bootc: removed ${entries.length} cached VM disk(s), ${(bytes / 1024 ** 3).toFixed(1)} GiB.`);
  }

  async showVms(): Promise<void> {
    const items = this.list().flatMap((r) => [
      {
        label: `$(terminal) Console: ${r.image}`,
        detail: `${r.vm.state}, ${r.vm.accel.toUpperCase()}`,
        run: () => (r.console = this.openConsole(r)),
      },
      { label: `$(remote) SSH: ${r.image}`, detail: `127.0.0.1:${r.vm.sshPort}`, run: () => this.ssh(r.vm.id) },
      { label: `$(copy) Copy SSH host entry: ${r.image}`, detail: 'for Remote - SSH', run: () => void this.copySshConfig(r.vm.id) },
      { label: `$(debug-stop) Stop: ${r.image}`, detail: '', run: () => void this.stop(r.vm.id) },
    ]);
    if (items.length === 0) {
      void vscode.window.showInformationMessage('No bootc VM is running. Use "bootc: Build & Boot VM".');
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: 'bootc VMs' });
    pick?.run();
  }

  dispose(): void {
    clearInterval(this.ticker);
    this.status.dispose();
    this.emitter.dispose();
    void this.stop();
  }
}
