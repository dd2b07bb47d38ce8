import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  Message,
  PublishDiagnosticsNotification,
  TransportKind,
  type LanguageClientOptions,
  type PublishDiagnosticsParams,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { BuildDiagnostics, buildImage, lintBuiltImage, targetFile } from './build';
import { readConfig } from './config';
import { RunStore } from './runs';
import { BuildTaskProvider, TASK_TYPE } from './tasks';
import { VmManager } from './vms';
import { STATUS_NOTIFICATION, type StatusParams } from '../../core/src/protocol';
import { ResultsPanel } from './results';
import { FromCodeLens, RunsTree } from './tree';
import { LibvirtVms, vmBackend } from './libvirt';
import { buildModel, initShellParser } from '../../core/src';
import { defaultTag } from '../../core/src/podman/build';
import { TEMPLATES, TemplateError, writeTemplate } from '../../core/src/templates';
import { measureImage, openMeasurement } from './measure';

/** Extensions that already report dockerfile-utils diagnostics on the same files. */
const OVERLAPPING = ['ms-azuretools.vscode-containers', 'ms-azuretools.vscode-docker', 'docker.docker'];

let client: LanguageClient | undefined;
let vms: VmManager | undefined;

function syntaxEnabled(): boolean {
  const v = vscode.workspace.getConfiguration('bootcLab').get<string>('syntaxDiagnostics', 'auto');
  if (v === 'on') return true;
  if (v === 'off') return false;
  return !OVERLAPPING.some((id) => vscode.extensions.getExtension(id) !== undefined);
}

/** The settings object the server reads, with `auto` resolved here where extensions are visible. */
function serverSettings(): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration('bootcLab');
  return {
    detect: c.get('detect', 'auto'),
    syntaxDiagnostics: syntaxEnabled(),
    rules: c.get('rules', {}),
    lintDebounceMs: c.get('lint.debounceMs', 150),
  };
}

type TemplatePick = vscode.QuickPickItem & ({ snippet: string } | { template: string });

/**
 * Fedora and CentOS start from a snippet in a new editor: their base already is a bootc image. The
 * custom bases are whole templates (a Containerfile and the files it COPYs), written to a folder.
 */
async function newFromTemplate(context: vscode.ExtensionContext): Promise<void> {
  const items: TemplatePick[] = [
    { label: 'Fedora bootc', description: 'snippet in a new editor', snippet: 'bootc image (Fedora)' },
    { label: 'CentOS Stream bootc', description: 'snippet in a new editor', snippet: 'bootc image (CentOS Stream)' },
    ...TEMPLATES.map((t) => ({ label: t.title, description: `${t.name}: writes a folder`, detail: t.description, template: t.name })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'New Containerfile from a template' });
  if (!pick) return;
  if ('snippet' in pick) {
    const doc = await vscode.workspace.openTextDocument({ language: 'dockerfile', content: '' });
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('editor.action.insertSnippet', { langId: 'dockerfile', name: pick.snippet });
    return;
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  const folder = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: root,
    openLabel: `Write ${pick.template} here`,
  });
  const dest = folder?.[0];
  if (!dest) return;
  try {
    writeTemplate(context.asAbsolutePath('templates'), pick.template, dest.fsPath);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    void vscode.window.showErrorMessage(`bootc Lab: ${e.message}`);
    return;
  }
  const file = vscode.Uri.joinPath(dest, 'Containerfile');
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  void vscode.window.showInformationMessage(`Wrote the ${pick.template} template; its README.md says how to build, boot and install it.`);
}

/** What the extension exports: the run history and VMs, for the extension-host test suite. */
export interface BootcLabApi {
  runs: RunStore;
  vms: VmManager;
  /** bootc Lab's persistent libvirt domains (`bootcLab.vm.backend: libvirt`). */
  libvirt: LibvirtVms;
  /** The document version whose diagnostics VS Code now shows for `uri`, as the server published them. */
  diagnosticsVersion(uri: vscode.Uri): number | undefined;
  /** Fires after VS Code has been handed a publication (tests wait on this instead of sleeping). */
  onDidPublishDiagnostics: vscode.Event<vscode.Uri>;
}

export function activate(context: vscode.ExtensionContext): BootcLabApi {
  const activatedAt = Date.now();
  let firstOpenAt: number | undefined;
  const log = vscode.window.createOutputChannel('bootc Lab', { log: true });
  context.subscriptions.push(log);
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  // The client's diagnostics middleware drops the version the server published for; see it on the wire.
  const received = new Map<string, number | undefined>();
  const shown = new Map<string, number | undefined>();
  const published = new vscode.EventEmitter<vscode.Uri>();
  context.subscriptions.push(published);
  const docsBase = vscode.Uri.file(context.asAbsolutePath(path.join('docs', 'rules'))).toString() + '/';
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: 'dockerfile', scheme: 'file' },
      { language: 'dockerfile', scheme: 'untitled' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/.bootc-lint.{yaml,yml}') },
    initializationOptions: { docsBase, settings: serverSettings() },
    outputChannel: log,
    connectionOptions: {
      messageStrategy: {
        handleMessage: (message, next) => {
          if (Message.isNotification(message) && message.method === PublishDiagnosticsNotification.method) {
            const p = message.params as PublishDiagnosticsParams;
            received.set(vscode.Uri.parse(p.uri).toString(), p.version);
          }
          return next(message);
        },
      },
    },
    middleware: {
      // A newer publication for the same URI cancels an older one still being converted, so the
      // last version received is the one being shown here.
      handleDiagnostics: (uri, diags, next) => {
        next(uri, diags);
        shown.set(uri.toString(), received.get(uri.toString()));
        published.fire(uri);
      },
      didOpen: (doc, next) => {
        firstOpenAt ??= Date.now();
        return next(doc);
      },
      workspace: {
        // The server pulls `bootcLab`; answer with resolved values (syntax `auto` → on/off).
        configuration: (params, token, next) => {
          if (params.items.every((i) => i.section === 'bootcLab')) return params.items.map(() => serverSettings());
          return next(params, token);
        },
      },
    },
  };
  client = new LanguageClient('bootcLab', 'bootc Lab', serverOptions, clientOptions);

  const status = vscode.languages.createLanguageStatusItem('bootcLab.status', { language: 'dockerfile' });
  status.name = 'bootc Lab';
  status.text = '$(loading~spin) bootc Lab';
  status.command = { title: 'Show Output', command: 'bootcLab.showOutput' };
  context.subscriptions.push(status);
  const byUri = new Map<string, StatusParams>();
  const render = (): void => {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const s = uri ? byUri.get(uri) : undefined;
    if (!s) return;
    const profile = `detect: ${vscode.workspace.getConfiguration('bootcLab').get('detect', 'auto')}${s.configFile ? `, ${path.basename(s.configFile)}` : ''}`;
    status.busy = false;
    status.severity = s.configError ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    status.text = s.bootc ? `$(check) bootc rules: ${s.errors}E ${s.warnings}W ${s.infos}I` : '$(circle-slash) bootc rules off';
    const unresolved = s.unresolvedBase ? `base ${s.unresolvedBase} unresolved (no ARG default), detected from the rest of the file; ` : '';
    status.detail =
      s.configError ?? unresolved + (s.bootc ? profile : 'not a bootc Containerfile (set bootcLab.detect to "always" to lint it)');
  };
  context.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(render));

  const output = vscode.window.createOutputChannel('bootc Lab: podman');
  const diagnostics = new BuildDiagnostics(vscode.Uri.file(context.asAbsolutePath('docs')));
  const runs = new RunStore(context.workspaceState);
  context.subscriptions.push(output, diagnostics, runs, vscode.tasks.registerTaskProvider(TASK_TYPE, new BuildTaskProvider()));
  const deps = { log, output, diagnostics, runs };
  vms = new VmManager(context.storageUri ?? context.globalStorageUri, runs, log);
  const vmManager = vms;
  context.subscriptions.push(vmManager);
  const libvirt = new LibvirtVms(runs, log);
  const view = vscode.window.createTreeView('bootcLab.runs', { treeDataProvider: new RunsTree(runs, vmManager, libvirt) });
  const libvirtTicker = setInterval(() => {
    if (view.visible && libvirt.visible()) void libvirt.refresh();
  }, 10_000);
  void libvirt.refresh();
  const results = new ResultsPanel(runs, context.extensionUri);
  context.subscriptions.push(
    results,
    libvirt,
    view,
    // Domains change outside VS Code (a guest powers off, `bootc-lab vm rm`): read them again when
    // the view is shown, and every 10 s while it is.
    view.onDidChangeVisibility((e) => {
      if (e.visible) void libvirt.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void libvirt.refresh()),
    { dispose: () => clearInterval(libvirtTicker) },
    vscode.languages.registerCodeLensProvider({ language: 'dockerfile' }, new FromCodeLens()),
    vscode.commands.registerCommand('bootc.showResults', (id?: string) => results.show(typeof id === 'string' ? id : undefined)),
    vscode.commands.registerCommand('bootc.clearRuns', () => runs.clear()),
    vscode.commands.registerCommand('bootc.newContainerfile', () => newFromTemplate(context)),
  );
  // From the VMs view the argument is the tree node; from elsewhere a VM id or nothing.
  const vmId = (arg: unknown): string | undefined =>
    typeof arg === 'string'
      ? arg
      : arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'vm'
        ? (arg as { id: string }).id
        : undefined;
  // A libvirt domain from the view's node, a name, or a pick from the list.
  const domainName = async (arg: unknown): Promise<string | undefined> => {
    if (typeof arg === 'string') return arg;
    if (arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'domain') return (arg as { id: string }).id;
    await libvirt.refresh();
    const names = libvirt.list().map((d) => ({ label: d.name, description: `${d.state} · ${d.meta.image}` }));
    if (names.length === 0) {
      void vscode.window.showInformationMessage(libvirt.error() ?? `No bootc Lab VMs in libvirt (${vmBackend().uri}).`);
      return undefined;
    }
    return (await vscode.window.showQuickPick(names, { title: 'bootc Lab libvirt VMs' }))?.label;
  };
  const needFile = (arg: unknown): vscode.Uri | undefined => {
    const uri = targetFile(arg);
    if (!uri) void vscode.window.showInformationMessage('Open a Containerfile first.');
    return uri;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('bootc.buildImage', async (arg?: unknown) => {
      const uri = needFile(arg);
      if (uri) await buildImage(uri, deps);
    }),
    vscode.commands.registerCommand('bootc.lintImage', async (arg?: unknown) => {
      const uri = needFile(arg);
      if (!uri) return;
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(
          'bootc Lab does not run podman in an untrusted workspace. Trust the workspace to lint images.',
        );
        return;
      }
      const cfg = readConfig(uri);
      const image = await vscode.window.showInputBox({ prompt: 'Image to lint', value: cfg.tag ?? defaultTag(path.dirname(uri.fsPath)) });
      if (!image) return;
      await initShellParser();
      const doc = await vscode.workspace.openTextDocument(uri);
      await lintBuiltImage(uri, image, buildModel(doc.getText(), uri.toString()), cfg, deps);
    }),
    vscode.commands.registerCommand('bootc.buildAndBootVm', async (arg?: unknown) => {
      const uri = needFile(arg);
      if (!uri) return;
      const built = await buildImage(uri, deps);
      if (!built?.result.ok) return;
      if (vmBackend(uri).backend === 'libvirt') await libvirt.boot(built.tag, uri);
      else await vmManager.boot(built.tag, uri);
    }),
    vscode.commands.registerCommand('bootc.bootVm', async (arg?: unknown) => {
      const uri = targetFile(arg);
      const image = await vscode.window.showInputBox({
        prompt: 'Image to boot',
        value: uri ? (readConfig(uri).tag ?? defaultTag(path.dirname(uri.fsPath))) : '',
      });
      if (!image) return;
      if (vmBackend(uri).backend === 'libvirt') await libvirt.boot(image, uri);
      else await vmManager.boot(image, uri);
    }),
    vscode.commands.registerCommand('bootc.upgradeVm', async (arg?: unknown) => {
      const r = vmManager.find(vmId(arg));
      const uri = r?.file ? vscode.Uri.file(r.file) : needFile(arg);
      if (!uri) return;
      // podman's layer cache makes this a no-op when the Containerfile has not changed.
      const built = await buildImage(uri, deps);
      if (built?.result.ok) await vmManager.upgrade(built.tag, uri, r);
    }),
    vscode.commands.registerCommand('bootc.rollbackVm', async (arg?: unknown) => {
      const r = vmManager.find(vmId(arg));
      await vmManager.rollback(r?.file ? vscode.Uri.file(r.file) : targetFile(arg), r);
    }),
    vscode.commands.registerCommand('bootc.measureImage', async (arg?: unknown) => {
      const uri = targetFile(arg);
      await measureImage({ runs, results, log }, uri, uri ? (readConfig(uri).tag ?? defaultTag(path.dirname(uri.fsPath))) : undefined);
    }),
    vscode.commands.registerCommand('bootc.openMeasurement', (arg?: unknown) =>
      openMeasurement({ runs, results }, arg instanceof vscode.Uri ? arg : undefined),
    ),
    vscode.commands.registerCommand('bootc.sshVm', (id?: string) => vmManager.ssh(typeof id === 'string' ? id : undefined)),
    vscode.commands.registerCommand('bootc.stopVm', async (id?: string) => vmManager.stop(typeof id === 'string' ? id : undefined)),
    vscode.commands.registerCommand('bootc.showVms', () => vmManager.showVms()),
    vscode.commands.registerCommand('bootc.copySshConfig', (id?: string) =>
      vmManager.copySshConfig(typeof id === 'string' ? id : undefined),
    ),
    vscode.commands.registerCommand('bootc.clearVmCache', () => vmManager.clearCache()),
    vscode.commands.registerCommand('bootc.libvirt.refresh', () => libvirt.refresh()),
    vscode.commands.registerCommand('bootc.libvirt.console', async (arg?: unknown) => {
      const name = await domainName(arg);
      if (name) libvirt.console(name);
    }),
    vscode.commands.registerCommand('bootc.libvirt.ssh', async (arg?: unknown) => {
      const name = await domainName(arg);
      if (name) libvirt.ssh(name);
    }),
    vscode.commands.registerCommand('bootc.libvirt.start', async (arg?: unknown) => {
      const name = await domainName(arg);
      if (name) await libvirt.start(name);
    }),
    vscode.commands.registerCommand('bootc.libvirt.stop', async (arg?: unknown) => {
      const name = await domainName(arg);
      if (name) await libvirt.stop(name);
    }),
    // The second argument `{ confirmed: true }` skips the modal question (scripts, tests).
    vscode.commands.registerCommand('bootc.libvirt.delete', async (arg?: unknown, opts?: { confirmed?: boolean }) => {
      const name = await domainName(arg);
      if (name) await libvirt.remove(name, opts?.confirmed === true);
    }),
    vscode.commands.registerCommand('bootcLab.showOutput', () => log.show()),
    vscode.commands.registerCommand('bootcLab.restartServer', async () => {
      await client?.restart();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('bootcLab.vm.backend') || e.affectsConfiguration('bootcLab.vm.libvirtUri')) void libvirt.refresh();
      if (e.affectsConfiguration('bootcLab'))
        await client?.sendNotification('workspace/didChangeConfiguration', { settings: { bootcLab: serverSettings() } });
    }),
    vscode.extensions.onDidChange(async () => {
      await client?.sendNotification('workspace/didChangeConfiguration', { settings: { bootcLab: serverSettings() } });
    }),
  );

  context.subscriptions.push(
    client.onNotification(STATUS_NOTIFICATION, (p: StatusParams) => {
      // Measured by `npm run bench:package`: first Containerfile opened → its diagnostics published.
      if (byUri.size === 0 && firstOpenAt)
        log.info(`first diagnostics ${Date.now() - firstOpenAt} ms after the first Containerfile was opened`);
      byUri.set(p.uri, p);
      render();
    }),
  );
  // The server starts in the background: activation itself stays short, and requests wait for it.
  client.start().then(
    () => log.info(`bootc Lab language server started ${Date.now() - activatedAt} ms after activation`),
    (e: unknown) => log.error(`The language server did not start: ${e instanceof Error ? e.message : String(e)}`),
  );
  log.info(`activated in ${Date.now() - activatedAt} ms`);
  return {
    runs,
    vms: vmManager,
    libvirt,
    diagnosticsVersion: (uri) => shown.get(uri.toString()),
    onDidPublishDiagnostics: published.event,
  };
}

export async function deactivate(): Promise<void> {
  // No QEMU may outlive the window.
  await vms?.stop();
  await client?.stop();
  client = undefined;
}
