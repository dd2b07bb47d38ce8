import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildModel, initShellParser } from '../../core/src';
import { defaultTag } from '../../core/src/podman/build';
import { runBuild } from '../../core/src/podman/run-build';
import { readConfig } from './config';

export const TASK_TYPE = 'bootc-build';

interface BuildTaskDefinition extends vscode.TaskDefinition {
  file: string;
  context?: string;
  tag?: string;
  buildArgs?: Record<string, string>;
  target?: string;
}

/** A pseudoterminal that runs one podman build; closing it cancels the build. */
class BuildTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private readonly ac = new AbortController();

  constructor(
    private readonly def: BuildTaskDefinition,
    private readonly folder: vscode.WorkspaceFolder | undefined,
  ) {}

  open(): void {
    void this.run();
  }

  /** The user closed the terminal or stopped the task: cancel the build. */
  close(): void {
    this.ac.abort();
  }

  handleInput(data: string): void {
    if (data === '\x03') this.ac.abort();
  }

  private async run(): Promise<void> {
    const base = this.folder?.uri.fsPath ?? process.cwd();
    const file = path.resolve(base, this.def.file);
    const context = path.resolve(base, this.def.context ?? path.dirname(this.def.file));
    const cfg = readConfig(vscode.Uri.file(file));
    const tag = this.def.tag ?? cfg.tag ?? defaultTag(context);
    const out = (s: string): void => this.write.fire(s.replace(/\r?\n/g, '\r\n'));
    try {
      await initShellParser();
      const doc = await vscode.workspace.openTextDocument(file);
      const model = buildModel(doc.getText(), doc.uri.toString());
      out(`podman build -f ${file} -t ${tag} ${context}\n`);
      const res = await runBuild({
        podmanPath: cfg.podmanPath,
        connection: cfg.connection,
        remote: cfg.remote,
        file,
        context,
        tag,
        buildArgs: { ...cfg.buildArgs, ...(this.def.buildArgs ?? {}) },
        target: this.def.target ?? cfg.target,
        isolation: cfg.isolation,
        extraArgs: cfg.extraArgs,
        model,
        signal: this.ac.signal,
        onLine: (l) => out(`${l}\n`),
      });
      if (res.cancelled) {
        out('\nBuild cancelled.\n');
        this.done.fire(130);
      } else if (!res.ok) {
        const line = res.failure?.instruction ? res.failure.instruction.range.start.line + 1 : undefined;
        out(`\n${file}:${line ?? 1}:1: error: ${res.failure?.message ?? 'podman build failed'}\n`);
        this.done.fire(1);
      } else {
        out(`\nBuilt ${tag} in ${(res.durationMs / 1000).toFixed(1)} s\n`);
        this.done.fire(0);
      }
    } catch (e) {
      out(`\n${(e as Error).message}\n`);
      this.done.fire(1);
    }
  }
}

/** `tasks.json` entries of type `bootc-build`, and one auto-detected task per Containerfile. */
export class BuildTaskProvider implements vscode.TaskProvider {
  async provideTasks(): Promise<vscode.Task[]> {
    if (!vscode.workspace.isTrusted) return [];
    const files = await vscode.workspace.findFiles('**/{Containerfile,Containerfile.*,*.containerfile}', '**/node_modules/**', 20);
    return files.map((f) => {
      const folder = vscode.workspace.getWorkspaceFolder(f);
      const rel = folder ? path.relative(folder.uri.fsPath, f.fsPath) : f.fsPath;
      return this.make({ type: TASK_TYPE, file: rel }, folder ?? vscode.TaskScope.Workspace);
    });
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as BuildTaskDefinition;
    if (!def.file) return undefined;
    return this.make(def, task.scope ?? vscode.TaskScope.Workspace);
  }

  private make(def: BuildTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task {
    const folder = typeof scope === 'object' ? scope : undefined;
    const t = new vscode.Task(
      def,
      scope,
      `build ${def.file}`,
      'bootc',
      new vscode.CustomExecution(() => Promise.resolve(new BuildTerminal(def, folder))),
      ['$bootc-build'],
    );
    t.group = vscode.TaskGroup.Build;
    return t;
  }
}
