import * as vscode from 'vscode';
import type { RunStore } from './runs';
import { shortId } from '../../core/src/vm/machine-state';
import type { VmManager } from './vms';
import type { LibvirtVms } from './libvirt';

type Node =
  | { kind: 'group'; id: 'runs' | 'vms' | 'libvirt' }
  | { kind: 'domain'; id: string }
  | { kind: 'problem'; id: string }
  | { kind: 'run'; id: string }
  | { kind: 'vm'; id: string }
  | { kind: 'deployment'; id: string; role: 'booted' | 'previous' };

/** The sidebar: running VMs and the run history, with inline actions. */
export class RunsTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly runs: RunStore,
    private readonly vms: VmManager,
    private readonly libvirt: LibvirtVms,
  ) {
    runs.onDidChange(() => this.emitter.fire());
    vms.onDidChange(() => this.emitter.fire());
    libvirt.onDidChange(() => this.emitter.fire());
  }

  getChildren(n?: Node): Node[] {
    if (!n)
      return [
        { kind: 'group', id: 'vms' },
        ...(this.libvirt.visible() || this.libvirt.error() ? [{ kind: 'group', id: 'libvirt' } as const] : []),
        { kind: 'group', id: 'runs' },
      ];
    if (n.kind === 'group' && n.id === 'libvirt') {
      const problem = this.libvirt.error();
      return problem ? [{ kind: 'problem', id: problem }] : this.libvirt.list().map((d) => ({ kind: 'domain', id: d.name }));
    }
    if (n.kind === 'group' && n.id === 'vms') return this.vms.list().map((v) => ({ kind: 'vm', id: v.vm.id }));
    if (n.kind === 'group' && n.id === 'runs') return this.runs.all().map((r) => ({ kind: 'run', id: r.id }));
    if (n.kind === 'vm') return this.vms.deployments(n.id).map((d) => ({ kind: 'deployment', id: n.id, role: d.role }));
    return [];
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'group') {
      const count = n.id === 'vms' ? this.vms.list().length : n.id === 'libvirt' ? this.libvirt.list().length : this.runs.all().length;
      const label = n.id === 'vms' ? `Running VMs (${count})` : n.id === 'libvirt' ? `libvirt VMs (${count})` : `Runs (${count})`;
      const t = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
      t.contextValue = `group-${n.id}`;
      t.id = `group-${n.id}`;
      return t;
    }
    if (n.kind === 'problem') {
      const t = new vscode.TreeItem(n.id.split('\n')[0] ?? n.id);
      t.tooltip = n.id;
      t.iconPath = new vscode.ThemeIcon('warning');
      t.contextValue = 'libvirt-problem';
      return t;
    }
    if (n.kind === 'domain') {
      // Persistent domains: they are listed from libvirt, so they survive VS Code restarts.
      const d = this.libvirt.get(n.id);
      const running = d?.state === 'running';
      const t = new vscode.TreeItem(n.id);
      t.description = d ? `${d.state} · ${d.meta.image.replace(/^localhost\//, '')} · ssh :${d.meta.sshPort}` : '';
      t.tooltip = d
        ? new vscode.MarkdownString(
            `**${d.name}** (${d.meta.mode} mode), ${d.state}\n\nimage \`${d.meta.image}\` (${shortId(d.meta.imageId)})\n\nfiles: \`${d.meta.dir}\`\n\ncreated ${d.meta.created}`,
          )
        : undefined;
      t.iconPath = new vscode.ThemeIcon(running ? 'vm-running' : 'vm-outline');
      t.contextValue = running ? 'libvirt-running' : 'libvirt-stopped';
      t.id = `libvirt/${n.id}`;
      return t;
    }
    if (n.kind === 'deployment') {
      // Like `bootc status`: the booted deployment and the one a rollback returns to, with image IDs.
      const d = this.vms.deployments(n.id).find((x) => x.role === n.role);
      const t = new vscode.TreeItem(`${n.role}: ${d?.image.replace(/^localhost\//, '') ?? ''}`);
      t.description = d ? shortId(d.imageId) : '';
      t.tooltip = d?.imageId;
      t.iconPath = new vscode.ThemeIcon(n.role === 'booted' ? 'circle-filled' : 'history');
      t.contextValue = `deployment-${n.role}`;
      t.id = `${n.id}/${n.role}`;
      return t;
    }
    if (n.kind === 'vm') {
      const v = this.vms.list().find((x) => x.vm.id === n.id);
      const t = new vscode.TreeItem(
        v?.image.replace(/^localhost\//, '') ?? n.id,
        v?.machineDir ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
      );
      t.description = v ? `${v.vm.state} · ${v.vm.accel.toUpperCase()} · ssh :${v.vm.sshPort}` : '';
      t.iconPath = new vscode.ThemeIcon('vm-running');
      t.contextValue = 'vm';
      t.id = n.id;
      return t;
    }
    const r = this.runs.get(n.id);
    const t = new vscode.TreeItem(`${r?.kind ?? ''} ${r?.image?.replace(/^localhost\//, '') ?? ''}`);
    t.description = r
      ? `${r.status} · ${new Date(r.startedAt).toLocaleTimeString()}${r.durationMs ? ` · ${(r.durationMs / 1000).toFixed(1)} s` : ''}`
      : '';
    t.iconPath = new vscode.ThemeIcon(
      r?.status === 'ok' ? 'pass' : r?.status === 'failed' ? 'error' : r?.status === 'running' ? 'loading~spin' : 'circle-slash',
    );
    t.contextValue = 'run';
    t.id = n.id;
    t.command = { command: 'bootc.showResults', title: 'Open Results', arguments: [n.id] };
    return t;
  }
}

/** "Build · Build & Boot VM" above each FROM of a Containerfile. */
export class FromCodeLens implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted) return [];
    const out: vscode.CodeLens[] = [];
    for (let i = 0; i < doc.lineCount; i++) {
      if (!/^\s*FROM\s/i.test(doc.lineAt(i).text)) continue;
      const r = new vscode.Range(i, 0, i, 0);
      out.push(new vscode.CodeLens(r, { title: 'Build', command: 'bootc.buildImage', arguments: [doc.uri] }));
      out.push(new vscode.CodeLens(r, { title: 'Build & Boot VM', command: 'bootc.buildAndBootVm', arguments: [doc.uri] }));
    }
    return out;
  }
}
