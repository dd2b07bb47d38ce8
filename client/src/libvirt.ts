import * as path from 'node:path';
import * as vscode from 'vscode';
import { findCloudInit } from '../../core/src/vm/cloud-init';
import {
  DEFAULT_URI,
  LibvirtVm,
  defineDomain,
  findDomain,
  listDomains,
  removeDomain,
  stopDomain,
  type LabDomain,
} from '../../core/src/vm/libvirt';
import { readConfig } from './config';
import { newRunId, type RunStore } from './runs';
import { vmConfig } from './vms';

/** `bootcLab.vm.backend` and the libvirt connection: which VMs Build & Boot makes. */
export function vmBackend(resource?: vscode.Uri): { backend: 'qemu' | 'libvirt'; uri: string } {
  const c = vscode.workspace.getConfiguration('bootcLab.vm', resource);
  return {
    backend: c.get<string>('backend', 'qemu') === 'libvirt' ? 'libvirt' : 'qemu',
    uri: c.get<string>('libvirtUri', '') || DEFAULT_URI,
  };
}

/**
 * bootc Lab's persistent libvirt domains: they outlive the editor, so the list is read from libvirt
 * (domains carrying bootc Lab's metadata), never kept by the extension. Listing runs `virsh`, so it
 * is off in untrusted workspaces like every other command that runs a program.
 */
export class LibvirtVms implements vscode.Disposable {
  private domains: LabDomain[] = [];
  /** Why the list could not be read (libvirtd stopped, no access), shown in the view. */
  private problem: string | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private listing: Promise<void> | undefined;

  constructor(
    private readonly runs: RunStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The libvirt group appears when libvirt is the backend, or when bootc Lab domains exist anyway. */
  visible(): boolean {
    return vscode.workspace.isTrusted && (vmBackend().backend === 'libvirt' || this.domains.length > 0);
  }

  list(): LabDomain[] {
    return this.domains;
  }

  error(): string | undefined {
    return this.problem;
  }

  get(name: string): LabDomain | undefined {
    return this.domains.find((d) => d.name === name);
  }

  /** Reads the domains again; concurrent callers share one `virsh` round. */
  refresh(): Promise<void> {
    if (!vscode.workspace.isTrusted) return Promise.resolve();
    this.listing ??= (async () => {
      const { backend, uri } = vmBackend();
      try {
        this.domains = await listDomains(uri);
        this.problem = undefined;
      } catch (e) {
        this.domains = [];
        // With the QEMU backend a machine without libvirt is normal: say nothing.
        this.problem = backend === 'libvirt' ? (e as Error).message : undefined;
      } finally {
        this.listing = undefined;
        this.emitter.fire();
      }
    })();
    return this.listing;
  }

  /** Defines a persistent domain from the image and starts it; returns once SSH answers, and it keeps running. */
  async boot(image: string, file?: vscode.Uri): Promise<LabDomain | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('bootc Lab does not start VMs in an untrusted workspace.');
      return undefined;
    }
    const cfg = vmConfig(file);
    const podman = readConfig(file);
    const { uri } = vmBackend(file);
    const runId = newRunId('boot');
    const startedAt = Date.now();
    const cloudInit = findCloudInit(cfg.cloudInit) ?? (file ? findCloudInit(path.dirname(file.fsPath)) : undefined);
    await this.runs.put({ id: runId, kind: 'boot', file: file?.fsPath ?? '', image, status: 'running', startedAt });
    let vm: LibvirtVm | undefined;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `bootc: booting ${image} in libvirt`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        try {
          progress.report({ message: 'preparing the disk' });
          vm = await defineDomain(
            {
              image,
              uri,
              mode: cfg.mode,
              memoryMb: cfg.memoryMb,
              cpus: cfg.cpus,
              kvm: cfg.accel,
              cacheDir: cfg.cacheDir,
              kernelArgs: cfg.kernelArgs,
              firmware: cfg.firmware,
              cloudInit,
              podmanPath: podman.podmanPath,
              connection: podman.connection,
              remote: podman.remote,
              log: (l) => this.log.info(l),
            },
            { signal: ac.signal },
          );
          await this.refresh();
          await vm.start({ signal: ac.signal });
          await vm.waitFor('ssh', cfg.timeoutSec * 1000, (s, at) => progress.report({ message: `${s} (${at.toFixed(1)} s)` }), ac.signal);
          return { ok: true as const };
        } catch (e) {
          return { ok: false as const, message: (e as Error).message, cancelled: ac.signal.aborted };
        }
      },
    );
    await this.refresh();
    const boot = vm ? { states: vm.tracker.events, backend: 'libvirt', domain: vm.name, uri } : undefined;
    await this.runs.put({
      id: runId,
      kind: 'boot',
      file: file?.fsPath ?? '',
      image,
      imageId: vm?.meta.imageId,
      status: result.ok ? 'ok' : result.cancelled ? 'cancelled' : 'failed',
      startedAt,
      durationMs: Date.now() - startedAt,
      failure: result.ok ? undefined : { message: result.message.split('\n')[0] ?? '' },
      boot,
    });
    if (!result.ok) {
      this.log.error(`libvirt boot of ${image} failed: ${result.message}`);
      // The domain stays defined when it failed after the definition: its console log says why.
      void vscode.window.showErrorMessage(`bootc: ${result.message.split('\n')[0] ?? ''}`, 'Show Output').then((p) => {
        if (p) this.log.show();
      });
      return undefined;
    }
    const d = vm ? this.get(vm.name) : undefined;
    if (d)
      void vscode.window
        .showInformationMessage(
          `bootc: ${d.name} is up in libvirt (SSH on 127.0.0.1:${d.meta.sshPort}); it keeps running after VS Code closes.`,
          'SSH',
          'Console',
        )
        .then((p) => {
          if (p === 'SSH') this.ssh(d.name);
          if (p === 'Console') this.console(d.name);
        });
    return d;
  }

  /** The serial console through libvirt: `virsh console` in a terminal, no shell in between. */
  console(name: string): void {
    const { uri } = vmBackend();
    vscode.window
      .createTerminal({
        name: `bootc console: ${name}`,
        shellPath: 'virsh',
        shellArgs: ['-c', uri, 'console', name, '--force'],
        iconPath: new vscode.ThemeIcon('vm'),
      })
      .show();
  }

  ssh(name: string): void {
    const d = this.get(name);
    if (!d) return;
    const [cmd, ...args] = new LibvirtVm(d.name, vmBackend().uri, d.meta).sshCommandLine();
    vscode.window
      .createTerminal({ name: `bootc ssh: ${name}`, shellPath: cmd, shellArgs: args, iconPath: new vscode.ThemeIcon('remote') })
      .show();
  }

  async start(name: string): Promise<void> {
    const { uri } = vmBackend();
    await this.guard(`start ${name}`, async () => {
      const d = await findDomain(uri, name);
      const vm = new LibvirtVm(d.name, uri, d.meta);
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `bootc: starting ${name}`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          await vm.start({ signal: ac.signal });
          await this.refresh();
          await vm.waitFor(
            'ssh',
            vmConfig().timeoutSec * 1000,
            (s, at) => progress.report({ message: `${s} (${at.toFixed(1)} s)` }),
            ac.signal,
          );
        },
      );
    });
  }

  async stop(name: string): Promise<void> {
    const { uri } = vmBackend();
    await this.guard(`stop ${name}`, () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `bootc: stopping ${name}` }, () =>
        stopDomain(uri, name),
      ),
    );
  }

  /** Undefines the domain and deletes the files bootc Lab made for it; asks first unless `confirmed`. */
  async remove(name: string, confirmed = false): Promise<void> {
    if (!confirmed) {
      const ok = await vscode.window.showWarningMessage(
        `Delete the libvirt VM ${name}? It is stopped, undefined, and its disk and files are deleted.`,
        { modal: true },
        'Delete',
      );
      if (ok !== 'Delete') return;
    }
    const { uri } = vmBackend();
    await this.guard(`delete ${name}`, async () => {
      for (const dir of await removeDomain(uri, name)) this.log.info(`Removed ${dir}`);
    });
  }

  private async guard(what: string, fn: () => PromiseLike<unknown>): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('bootc Lab does not run virsh in an untrusted workspace.');
      return;
    }
    try {
      await fn();
    } catch (e) {
      this.log.error(`libvirt ${what}: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`bootc: could not ${what}: ${(e as Error).message.split('\n')[0] ?? ''}`);
    } finally {
      await this.refresh();
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
