import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  DiagnosticSeverity,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type Range,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ConfigError,
  DEFAULT_DOCS_BASE,
  complete,
  directoryContext,
  docsUrl,
  documentSymbols,
  findConfigFile,
  hover,
  ignoreForFile,
  ignoreForInstruction,
  initShellParser,
  lintText,
  loadConfigFile,
  mergeConfig,
  type Finding,
  type Fix,
  type LintConfig,
  type LintOptions,
  type LintResult,
} from '../../core/src';
import type { CachedAnalysis } from '../../core/src/model/containerfile';
import { DEFAULT_DEBOUNCE_MS, settingsToConfig, type ServerSettings } from './settings';
import { warmUp } from '../../core/src/warmup';

export { STATUS_NOTIFICATION, type StatusParams } from '../../core/src/protocol';
import { STATUS_NOTIFICATION, type StatusParams } from '../../core/src/protocol';

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information };

/**
 * No `data`: the rule id is already the diagnostic's `code`, and fixes stay on the server with the
 * lint result, found again by rule and range. A findings-heavy file publishes hundreds of these on
 * every keystroke, so every byte per diagnostic counts.
 */
function toDiagnostic(f: Finding, docsBase: string): Diagnostic {
  return {
    range: f.range,
    severity: SEVERITY[f.severity],
    code: f.rule,
    codeDescription: { href: docsUrl(f.rule, docsBase) },
    source: f.source === 'dockerfile' ? 'dockerfile' : 'bootc',
    message: f.message,
  };
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

/** The rule behind one of our diagnostics; undefined for other servers' and for the config error. */
function ruleOf(d: Diagnostic): string | undefined {
  if (d.source !== 'bootc' && d.source !== 'dockerfile') return undefined;
  return typeof d.code === 'string' && d.code !== 'config' ? d.code : undefined;
}

function filePath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

const LARGE_DOCUMENT_LINES = 2000;
let compaction: NodeJS.Timeout | undefined;
let collect: (() => void) | undefined;

/**
 * Linting a very large file leaves V8 with a big heap it keeps for a long time. When the editor
 * goes quiet after such a lint, ask for a full collection so the server's footprint drops back.
 */
function scheduleCompaction(): void {
  if (compaction) clearTimeout(compaction);
  compaction = setTimeout(() => {
    compaction = undefined;
    try {
      if (!collect) {
        v8.setFlagsFromString('--expose-gc');
        collect = vm.runInNewContext('gc') as () => void;
      }
      collect();
      if (process.env.BOOTC_LAB_DEBUG_MEMORY) process.stderr.write(`compacted: ${JSON.stringify(process.memoryUsage())}\n`);
    } catch {
      // Not available in this runtime: nothing to do.
    }
  }, 200);
  compaction.unref();
}

/**
 * V8 doubles the young generation whenever much of it survives a scavenge, up to 2 × 16 MB, and
 * never gives it back. Every lint leaves a model alive across a few scavenges, so the server's
 * young generation soon reached its maximum for a live set of ~15 MB: 25-30 MB of the RSS after
 * a 1,000-line findings-heavy file (152 → 126 MB measured), for no measurable gain in edit
 * latency. `--max-semi-space-size` only works on the command line, which the server does not own;
 * stopping the growth works at run time.
 */
function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** Wires the engine to an LSP connection. Everything here is transport; the work happens in core. */
export function startServer(connection: Connection): void {
  keepYoungGenerationSmall();
  const documents = new TextDocuments(TextDocument);
  let docsBase = DEFAULT_DOCS_BASE;
  let pullConfig = false;
  let initSettings: ServerSettings = {};
  const settingsCache = new Map<string, Promise<ServerSettings>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const results = new Map<string, { version: number; analyses?: Map<string, CachedAnalysis> }>();
  const inflight = new Map<string, number>();
  let workspaceRoots: string[] = [];

  connection.onInitialize(async (params: InitializeParams) => {
    const opts = (params.initializationOptions ?? {}) as { docsBase?: string; settings?: ServerSettings };
    if (typeof opts.docsBase === 'string') docsBase = opts.docsBase;
    initSettings = opts.settings ?? {};
    pullConfig = !!params.capabilities.workspace?.configuration;
    workspaceRoots = (params.workspaceFolders ?? []).map((f) => filePath(f.uri)).filter((p): p is string => !!p);
    await initShellParser({ lowMemory: true });
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [' ', '-', '=', ',', ':', '/'] },
        documentSymbolProvider: true,
      },
      serverInfo: { name: 'bootc-lab', version: '0.1.0' },
    };
  });

  async function settingsFor(uri: string): Promise<ServerSettings> {
    if (!pullConfig) return initSettings;
    let p = settingsCache.get(uri);
    if (!p) {
      p = connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'bootcLab' })
        .then((s: unknown) => (s && typeof s === 'object' ? (s as ServerSettings) : {}))
        .catch(() => initSettings);
      settingsCache.set(uri, p);
    }
    return p;
  }

  function projectConfig(uri: string): { config: Partial<LintConfig>; file?: string; error?: string } {
    const p = filePath(uri);
    if (!p) return { config: {} };
    const dir = path.dirname(p);
    const stop = workspaceRoots.find((r) => dir === r || dir.startsWith(r + path.sep));
    const file = findConfigFile(dir, stop);
    if (!file) return { config: {} };
    try {
      return { config: loadConfigFile(file), file };
    } catch (e) {
      return { config: {}, file, error: e instanceof ConfigError ? e.message : String(e) };
    }
  }

  /** What a lint of `uri` needs: merged configuration, its build context, the reusable analyses. */
  async function lintOptions(uri: string): Promise<{ options: LintOptions; project: ReturnType<typeof projectConfig> }> {
    const settings = await settingsFor(uri);
    const project = projectConfig(uri);
    const p = filePath(uri);
    return {
      project,
      options: {
        // Editor settings first, then the project file, so the editor agrees with `bootc-lab lint` in CI.
        config: mergeConfig(settingsToConfig(settings), project.config),
        previous: results.get(uri)?.analyses,
        buildContext: directoryContext(p ? path.dirname(p) : undefined),
      },
    };
  }

  async function validate(doc: TextDocument): Promise<void> {
    const version = doc.version;
    const ticket = (inflight.get(doc.uri) ?? 0) + 1;
    inflight.set(doc.uri, ticket);
    const { options, project } = await lintOptions(doc.uri);
    const result = await lintText(doc.getText(), doc.uri, {
      ...options,
      onRuleError: (rule, e) =>
        connection.console.error(`rule ${rule} failed on ${doc.uri}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    });
    // A newer edit started meanwhile: its result wins.
    if (inflight.get(doc.uri) !== ticket || !documents.get(doc.uri)) return;
    // Keep only what the next lint reuses, not the whole model: a model kept alive across edits is
    // promoted to V8's old generation on every keystroke and makes full collections frequent.
    results.set(doc.uri, { version, analyses: doc.lineCount > LARGE_DOCUMENT_LINES ? undefined : result.model.analysisCache });
    if (doc.lineCount > LARGE_DOCUMENT_LINES) scheduleCompaction();
    const diagnostics = result.findings.map((f) => toDiagnostic(f, docsBase));
    if (project.error) {
      diagnostics.unshift({
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity: DiagnosticSeverity.Error,
        source: 'bootc',
        code: 'config',
        message: project.error,
      });
    }
    await connection.sendDiagnostics({ uri: doc.uri, version, diagnostics });
    const count = (s: string): number => result.findings.filter((f) => f.severity === s).length;
    const status: StatusParams = {
      uri: doc.uri,
      bootc: result.bootc,
      unresolvedBase: result.unresolvedBase,
      errors: count('error'),
      warnings: count('warning'),
      infos: count('info'),
      configFile: project.file,
      configError: project.error,
    };
    await connection.sendNotification(STATUS_NOTIFICATION, status);
  }

  function schedule(doc: TextDocument, immediate = false): void {
    const old = timers.get(doc.uri);
    if (old) clearTimeout(old);
    void settingsFor(doc.uri).then((s) => {
      const delay = immediate ? 0 : typeof s.lintDebounceMs === 'number' && s.lintDebounceMs >= 0 ? s.lintDebounceMs : DEFAULT_DEBOUNCE_MS;
      const run = (): void => {
        timers.delete(doc.uri);
        const current = documents.get(doc.uri);
        if (current) validate(current).catch((e: unknown) => connection.console.error(`lint failed for ${doc.uri}: ${String(e)}`));
      };
      if (delay === 0) run();
      else timers.set(doc.uri, setTimeout(run, delay));
    });
  }

  /** The full result for hover, completion and code actions; requests come in bursts, so keep the last one. */
  let lastFull: { uri: string; version: number; result: LintResult } | undefined;
  async function current(uri: string): Promise<LintResult | undefined> {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    if (lastFull && lastFull.uri === uri && lastFull.version === doc.version) return lastFull.result;
    const result = await lintText(doc.getText(), uri, (await lintOptions(uri)).options);
    if (documents.get(uri)?.version === doc.version) lastFull = { uri, version: doc.version, result };
    return result;
  }

  // TextDocuments fires didOpen and then didChangeContent for the same open, back to back: lint
  // an opened document once, not twice (on a 1,000-line file that doubled the time to first diagnostics).
  let justOpened: string | undefined;
  documents.onDidOpen((e) => {
    justOpened = e.document.uri;
    schedule(e.document, true);
  });
  documents.onDidChangeContent((e) => {
    const opening = justOpened === e.document.uri;
    justOpened = undefined;
    if (!opening) schedule(e.document);
  });
  documents.onDidClose((e) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    results.delete(e.document.uri);
    if (lastFull?.uri === e.document.uri) lastFull = undefined;
    settingsCache.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onDidChangeConfiguration((change) => {
    settingsCache.clear();
    const s = (change.settings as { bootcLab?: ServerSettings } | undefined)?.bootcLab;
    if (s) initSettings = s;
    for (const d of documents.all()) schedule(d, true);
  });
  // `.bootc-lint.yaml` changed on disk (the client watches it).
  connection.onDidChangeWatchedFiles(() => {
    for (const d of documents.all()) schedule(d, true);
  });

  connection.onCodeAction(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    const result = await current(params.textDocument.uri);
    if (!doc || !result) return [];
    const actions: CodeAction[] = [];
    const seenIgnore = new Set<string>();
    for (const d of params.context.diagnostics) {
      const rule = ruleOf(d);
      if (!rule) continue;
      const finding = result.findings.find((f) => f.rule === rule && sameRange(f.range, d.range));
      for (const fix of finding?.fixes ?? []) {
        const edit = fixEdit(doc, fix);
        if (edit) actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fix.preferred, edit });
      }
      const key = `${rule}:${d.range.start.line}`;
      if (seenIgnore.has(key)) continue;
      seenIgnore.add(key);
      const one = ignoreForInstruction(result.model, d.range.start.line, rule);
      if (one)
        actions.push({
          title: `Ignore ${rule} for this instruction`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          edit: { changes: { [doc.uri]: [one] } },
        });
      actions.push({
        title: `Ignore ${rule} in this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: { changes: { [doc.uri]: [ignoreForFile(result.model, rule)] } },
      });
    }
    return actions;
  });

  function fixEdit(doc: TextDocument, fix: Fix): WorkspaceEdit | undefined {
    if (!fix.createFile) return { changes: { [doc.uri]: fix.edits } };
    const p = filePath(doc.uri);
    if (!p) return undefined;
    const dir = path.dirname(p);
    let name = fix.createFile.relativePath;
    const ext = path.extname(name);
    for (let n = 2; fs.existsSync(path.join(dir, name)); n++) name = `${path.basename(fix.createFile.relativePath, ext)}-${n}${ext}`;
    const newUri = pathToFileURL(path.join(dir, name)).toString();
    const edits = fix.edits.map((e) => ({ ...e, newText: e.newText.replace(fix.createFile?.relativePath ?? '', name) }));
    return {
      documentChanges: [
        { kind: 'create', uri: newUri, options: { ignoreIfExists: false, overwrite: false } },
        {
          textDocument: { uri: newUri, version: null },
          edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: fix.createFile.content }],
        },
        { textDocument: { uri: doc.uri, version: doc.version }, edits },
      ],
    };
  }

  connection.onHover(async (params) => {
    const r = await current(params.textDocument.uri);
    return r ? hover(r.model, r.findings, params.position, docsBase) : null;
  });
  connection.onCompletion(async (params) => {
    const r = await current(params.textDocument.uri);
    return r ? complete(r.model, params.position) : [];
  });
  connection.onDocumentSymbol(async (params) => {
    const r = await current(params.textDocument.uri);
    return r ? documentSymbols(r.model) : [];
  });

  // Warm the JIT shortly after start-up, in small slices that yield to real requests, so the first
  // edits are as fast as steady state. No forced collection afterwards: a full GC right after
  // warming threw much of the warmed code away (first lint of a 1,000-line file 45 → 110 ms).
  let warmed = false;
  const warm = (): void => {
    if (warmed) return;
    warmed = true;
    warmUp().catch((e: unknown) => connection.console.error(`warm-up failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  };
  connection.onInitialized(() => {
    setTimeout(warm, 1000).unref();
  });

  documents.listen(connection);
  connection.listen();
}
