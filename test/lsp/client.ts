import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const SERVER = path.join(__dirname, '../../dist/server.js');

/** A minimal LSP client speaking to the real bundled server process over stdio. */
export class TestClient {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly conn: MessageConnection;
  private waiters: { uri: string; pred: (d: Diagnostic[]) => boolean; resolve: (d: PublishDiagnosticsParams) => void }[] = [];
  readonly published = new Map<string, PublishDiagnosticsParams>();
  /** How many times diagnostics were published per document. */
  readonly publishCount = new Map<string, number>();
  stderr = '';
  settings: Record<string, unknown> | null = { detect: 'auto', syntaxDiagnostics: true, rules: {}, lintDebounceMs: 0 };

  constructor(args: string[] = [SERVER, '--stdio']) {
    this.proc = spawn(process.execPath, args, { stdio: 'pipe' });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout), new StreamMessageWriter(this.proc.stdin));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.set(p.uri, p);
      this.publishCount.set(p.uri, (this.publishCount.get(p.uri) ?? 0) + 1);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri === p.uri && w.pred(p.diagnostics)) {
          w.resolve(p);
          return false;
        }
        return true;
      });
    });
    this.conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => this.settings));
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onRequest('workspace/applyEdit', () => ({ applied: true }));
    this.conn.onNotification('bootcLab/status', () => undefined);
    this.conn.onNotification('window/logMessage', () => undefined);
    this.conn.listen();
  }

  async init(rootUri: string | null = null, initializationOptions: unknown = {}): Promise<unknown> {
    const res = await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
      capabilities: {
        workspace: { configuration: true, workspaceEdit: { documentChanges: true, resourceOperations: ['create'] } },
        textDocument: { publishDiagnostics: { versionSupport: true } },
      },
      initializationOptions,
    });
    await this.conn.sendNotification('initialized', {});
    return res;
  }

  /** Resolves with the next diagnostics for `uri` that satisfy `pred`; register before triggering. */
  next(uri: string, pred: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 20000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        uri,
        pred,
        resolve: (d) => {
          clearTimeout(t);
          resolve(d);
        },
      });
    });
  }

  async open(uri: string, text: string, version = 1): Promise<PublishDiagnosticsParams> {
    const p = this.next(uri, () => true);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'dockerfile', version, text } });
    return p;
  }

  async change(uri: string, version: number, changes: unknown[], pred?: (d: Diagnostic[]) => boolean): Promise<PublishDiagnosticsParams> {
    const p = this.next(uri, pred);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return p;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // the process may already be gone
    }
    this.conn.dispose();
    await new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 3000);
      this.proc.on('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
