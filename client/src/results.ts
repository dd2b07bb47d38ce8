import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { toCsv } from '../../core/src/measure/analyze';
import { markdownOf, resultsHtml } from './results-html';
import type { RunStore } from './runs';

/** The results panel: one webview, re-rendered from the run store; survives hide/show via state. */
export class ResultsPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private selected?: string;
  private compare?: [string, string];
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly runs: RunStore,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.subs.push(runs.onDidChange(() => this.render()));
  }

  show(runId?: string): void {
    if (runId) this.selected = runId;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('bootcLab.results', 'bootc Lab Results', vscode.ViewColumn.Beside, {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: [this.extensionUri],
      });
      this.panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'images', 'bootc.svg');
      this.panel.onDidDispose(() => (this.panel = undefined), undefined, this.subs);
      this.panel.webview.onDidReceiveMessage(
        (m: { type: string; id?: string; ids?: string[]; line?: number; format?: string }) => void this.onMessage(m),
        undefined,
        this.subs,
      );
    }
    this.render();
    this.panel.reveal(undefined, true);
  }

  private render(): void {
    if (!this.panel) return;
    this.panel.webview.html = resultsHtml({
      runs: this.runs.all(),
      selected: this.selected,
      compare: this.compare,
      nonce: crypto.randomBytes(16).toString('base64'),
      cspSource: this.panel.webview.cspSource,
    });
  }

  private async onMessage(m: { type: string; id?: string; ids?: string[]; line?: number; format?: string }): Promise<void> {
    if (m.type === 'select' && m.id) {
      this.selected = m.id;
      this.render();
    } else if (m.type === 'refresh') this.render();
    else if (m.type === 'compare') {
      const ids = m.ids ?? [];
      if (ids.length !== 2) {
        void vscode.window.showInformationMessage('Tick exactly two runs to compare.');
        return;
      }
      this.compare = [ids[0] ?? '', ids[1] ?? ''];
      this.render();
    } else if (m.type === 'jump' && m.line) {
      const run = this.runs.get(this.selected ?? '') ?? this.runs.all()[0];
      if (!run?.file) return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(run.file));
      const pos = new vscode.Position(Math.max(0, m.line - 1), 0);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.One });
    } else if (m.type === 'export') {
      const runs = this.compare
        ? this.runs.all().filter((r) => this.compare?.includes(r.id))
        : [this.runs.get(this.selected ?? '') ?? this.runs.all()[0]].filter((r) => r !== undefined);
      const json = m.format === 'json';
      const csv = m.format === 'csv';
      const measured = runs.flatMap((r) => (r.measurement ? [r.measurement] : []));
      if (csv && measured.length === 0) {
        void vscode.window.showInformationMessage('CSV export is for measurements: select a measure run.');
        return;
      }
      const uri = await vscode.window.showSaveDialog({
        filters: json ? { JSON: ['json'] } : csv ? { CSV: ['csv'] } : { Markdown: ['md'] },
        saveLabel: 'Export',
      });
      if (!uri) return;
      // A single measurement exports as the same JSON `bootc-lab measure --out` writes, so either opens the other.
      const text = csv
        ? measured.map(toCsv).join('\n')
        : json
          ? JSON.stringify(runs.length === 1 && measured.length === 1 ? measured[0] : runs, null, 2)
          : markdownOf(runs);
      await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const s of this.subs) s.dispose();
  }
}
