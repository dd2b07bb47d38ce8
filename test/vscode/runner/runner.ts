import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BootcLabApi } from '../../../client/src/extension';
import { runSuite } from '../suite';

/**
 * A tiny extension for the code-server tests, which have no `--extensionTestsPath`. With
 * BOOTC_LAB_SUITE_RESULTS it runs the extension-host suite and writes the results there. With
 * BOOTC_LAB_E2E_STATE it mirrors, for the browser-driven scenarios, what only the extension host
 * knows: each open Containerfile's version, the version whose diagnostics are shown, and their codes.
 */
export function activate(context: vscode.ExtensionContext): void {
  const out = process.env.BOOTC_LAB_SUITE_RESULTS;
  if (out)
    runSuite()
      .then((results) => fs.writeFileSync(out, JSON.stringify(results, null, 2)))
      .catch((e: unknown) => fs.writeFileSync(out, JSON.stringify([{ name: 'runner', ok: false, error: String(e), ms: 0 }])));
  const state = process.env.BOOTC_LAB_E2E_STATE;
  const api = vscode.extensions.getExtension<BootcLabApi>('bootc-lab.bootc-lab')?.exports;
  if (!state || !api) return;
  const write = (): void => {
    const docs: Record<string, E2eDocState> = {};
    for (const d of vscode.workspace.textDocuments) {
      if (d.uri.scheme !== 'file') continue;
      docs[vscode.workspace.asRelativePath(d.uri, false)] = {
        version: d.version,
        published: api.diagnosticsVersion(d.uri),
        text: d.getText(),
        codes: vscode.languages.getDiagnostics(d.uri).map((x) => String(typeof x.code === 'object' ? x.code.value : x.code)),
      };
    }
    // Renamed into place: the harness never reads a half-written file.
    fs.writeFileSync(`${state}.tmp`, JSON.stringify(docs));
    fs.renameSync(`${state}.tmp`, state);
  };
  fs.mkdirSync(path.dirname(state), { recursive: true });
  write();
  context.subscriptions.push(
    api.onDidPublishDiagnostics(write),
    vscode.workspace.onDidChangeTextDocument(write),
    vscode.workspace.onDidOpenTextDocument(write),
    vscode.workspace.onDidCloseTextDocument(write),
  );
}

export interface E2eDocState {
  version: number;
  published?: number;
  text: string;
  codes: string[];
}
