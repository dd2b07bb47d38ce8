import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildModel, directoryContext, initShellParser, lintModel, type ContainerfileModel } from '../../core/src';
import { lintImage, type ImageLintReport } from '../../core/src/image/lint-image';
import { defaultTag } from '../../core/src/podman/build';
import { podmanMissingMessage, preflight } from '../../core/src/podman/podman';
import { runBuild, type BuildResult } from '../../core/src/podman/run-build';
import { NotFoundError } from '../../core/src/process/run';
import { readConfig, type ClientConfig } from './config';
import { newRunId, type RunStore } from './runs';

const IMAGE_SOURCE = 'bootc image';
const BUILD_SOURCE = 'bootc build';

/** Build and image-lint diagnostics, cleared where the user edits the instruction they point at. */
export class BuildDiagnostics implements vscode.Disposable {
  readonly build = vscode.languages.createDiagnosticCollection('bootc-build');
  readonly image = vscode.languages.createDiagnosticCollection('bootc-image');
  private readonly sub: vscode.Disposable;

  constructor(private readonly docsRoot: vscode.Uri) {
    this.sub = vscode.workspace.onDidChangeTextDocument((e) => {
      for (const coll of [this.build, this.image]) {
        const old = coll.get(e.document.uri);
        if (!old?.length) continue;
        const lineDelta = (c: vscode.TextDocumentContentChangeEvent): number =>
          c.text.split('\n').length - 1 - (c.range.end.line - c.range.start.line);
        let kept = [...old];
        for (const c of e.contentChanges) {
          kept = kept
            .filter((d) => d.range.end.line < c.range.start.line || d.range.start.line > c.range.end.line)
            .map((d) => {
              if (d.range.start.line <= c.range.end.line) return d;
              // Keep findings below the edit on their instruction when lines move.
              const n = lineDelta(c);
              const moved = new vscode.Diagnostic(
                new vscode.Range(d.range.start.translate(n), d.range.end.translate(n)),
                d.message,
                d.severity,
              );
              Object.assign(moved, { source: d.source, code: d.code });
              return moved;
            });
        }
        coll.set(e.document.uri, kept);
      }
    });
  }

  setBuildFailure(uri: vscode.Uri, res: BuildResult): void {
    if (res.ok || !res.failure) {
      this.build.delete(uri);
      return;
    }
    const r = res.failure.instruction?.headRange;
    const range = r ? new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) : new vscode.Range(0, 0, 0, 0);
    const d = new vscode.Diagnostic(
      range,
      `podman build failed here: ${res.failure.message}\n${res.failure.tail}`,
      vscode.DiagnosticSeverity.Error,
    );
    d.source = BUILD_SOURCE;
    d.code = 'build-failed';
    this.build.set(uri, [d]);
  }

  setImageFindings(uri: vscode.Uri, report: ImageLintReport): void {
    const diags = report.findings.map((f) => {
      const r = f.range;
      const range = r ? new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) : new vscode.Range(0, 0, 0, 0);
      const d = new vscode.Diagnostic(
        range,
        f.message,
        f.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
      );
      d.source = f.source === 'bootc' ? `${IMAGE_SOURCE} (bootc)` : IMAGE_SOURCE;
      d.code = { value: f.lint, target: vscode.Uri.joinPath(this.docsRoot, 'image-lints.md').with({ fragment: f.lint }) };
      return d;
    });
    this.image.set(uri, diags);
  }

  dispose(): void {
    this.sub.dispose();
    this.build.dispose();
    this.image.dispose();
  }
}

/** The Containerfile a command acts on: the argument (explorer, CodeLens), else the active editor. */
export function targetFile(arg?: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && (doc.languageId === 'dockerfile' || /(Container|Docker)file/i.test(path.basename(doc.fileName)))) return doc.uri;
  return undefined;
}

async function modelOf(uri: vscode.Uri): Promise<ContainerfileModel> {
  await initShellParser();
  const doc = await vscode.workspace.openTextDocument(uri);
  return buildModel(doc.getText(), uri.toString());
}

export interface BuildOutcome {
  result: BuildResult;
  tag: string;
  model: ContainerfileModel;
  report?: ImageLintReport;
  runId: string;
}

/** Runs a build for the UI: preflight, progress notification with cancel, output channel, diagnostics, run history. */
export async function buildImage(
  uri: vscode.Uri,
  deps: { log: vscode.LogOutputChannel; output: vscode.OutputChannel; diagnostics: BuildDiagnostics; runs: RunStore },
  opts: { lint?: boolean } = {},
): Promise<BuildOutcome | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('bootc Lab does not run podman in an untrusted workspace. Trust the workspace to build images.');
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty) await doc.save();
  const cfg: ClientConfig = readConfig(uri);
  const model = await modelOf(uri);
  const context = path.dirname(uri.fsPath);
  const tag = cfg.tag ?? defaultTag(context);
  const target = { podmanPath: cfg.podmanPath, connection: cfg.connection, remote: cfg.remote };
  const pre = await preflight(target, { usesHeredocs: model.instructions.some((i) => i.heredocs.length > 0) });
  for (const w of pre.warnings) deps.log.warn(w);
  if (pre.errors.length) {
    const pick = await vscode.window.showErrorMessage(pre.errors.join(' '), 'Open Settings', 'Show Output');
    if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'bootcLab.podman');
    if (pick === 'Show Output') deps.log.show();
    return undefined;
  }
  if (pre.warnings.some((w) => w.includes('heredocs')))
    void vscode.window.showWarningMessage(pre.warnings.find((w) => w.includes('heredocs')) ?? '');
  const runId = newRunId('build');
  const startedAt = Date.now();
  await deps.runs.put({ id: runId, kind: 'build', file: uri.fsPath, image: tag, status: 'running', startedAt });
  deps.output.show(true);
  deps.output.appendLine(`\n$ podman build -f ${uri.fsPath} -t ${tag} ${context}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `bootc: building ${tag}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let last = 0;
      try {
        return await runBuild({
          ...target,
          file: uri.fsPath,
          context,
          tag,
          buildArgs: cfg.buildArgs,
          target: cfg.target,
          isolation: cfg.isolation,
          extraArgs: cfg.extraArgs,
          model,
          signal: ac.signal,
          onLine: (l) => deps.output.appendLine(l),
          onStep: (s) => {
            const pct = Math.floor((s.step / Math.max(1, s.steps)) * 100);
            progress.report({
              message: `${s.stages > 1 ? `stage ${s.stage}/${s.stages} · ` : ''}step ${s.step}/${s.steps}: ${s.text.slice(0, 80)}`,
              increment: Math.max(0, pct - last),
            });
            last = pct;
          },
        });
      } catch (e) {
        if (e instanceof NotFoundError) throw new Error(podmanMissingMessage());
        throw e;
      }
    },
  );
  deps.diagnostics.setBuildFailure(uri, result);
  const steps = result.steps.map((s) => ({ text: s.text, durationMs: s.durationMs ?? 0, line: stepLine(model, s.stage, s.step) }));
  if (result.cancelled) {
    deps.output.appendLine('Build cancelled; build containers removed.');
    await deps.runs.put({
      id: runId,
      kind: 'build',
      file: uri.fsPath,
      image: tag,
      status: 'cancelled',
      startedAt,
      durationMs: result.durationMs,
      steps,
    });
    return { result, tag, model, runId };
  }
  if (!result.ok) {
    const line = result.failure?.instruction ? result.failure.instruction.range.start.line + 1 : undefined;
    await deps.runs.put({
      id: runId,
      kind: 'build',
      file: uri.fsPath,
      image: tag,
      status: 'failed',
      startedAt,
      durationMs: result.durationMs,
      steps,
      failure: { message: result.failure?.message ?? 'failed', line },
    });
    void vscode.window
      .showErrorMessage(`bootc: build failed${line ? ` at line ${line}` : ''}: ${result.failure?.message ?? ''}`, 'Show Output')
      .then((p) => p && deps.output.show());
    return { result, tag, model, runId };
  }
  deps.output.appendLine(`Built ${tag} (${result.imageId?.slice(0, 12) ?? '?'}) in ${(result.durationMs / 1000).toFixed(1)} s`);
  let report: ImageLintReport | undefined;
  if (opts.lint ?? cfg.lintAfterBuild) report = await lintBuiltImage(uri, tag, model, cfg, deps);
  await deps.runs.put({
    id: runId,
    kind: 'build',
    file: uri.fsPath,
    image: tag,
    imageId: report?.imageId ?? result.imageId,
    digest: report?.digest,
    size: report?.size,
    layers: report?.layers,
    status: 'ok',
    startedAt,
    durationMs: result.durationMs,
    steps,
    imageFindings: report?.findings.map((f) => ({
      lint: f.lint,
      severity: f.severity,
      message: f.message,
      line: f.range ? f.range.start.line + 1 : undefined,
      source: f.source,
    })),
    staticFindings: lintModel(model, { buildContext: directoryContext(context) }).findings.length,
  });
  return { result, tag, model, report, runId };
}

function stepLine(model: ContainerfileModel, stage: number, step: number): number | undefined {
  const i = model.stages[stage - 1]?.instructions[step - 1];
  return i ? i.range.start.line + 1 : undefined;
}

export async function lintBuiltImage(
  uri: vscode.Uri,
  image: string,
  model: ContainerfileModel,
  cfg: ClientConfig,
  deps: { log: vscode.LogOutputChannel; output: vscode.OutputChannel; diagnostics: BuildDiagnostics },
): Promise<ImageLintReport | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `bootc: linting ${image}`, cancellable: true },
    async (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      try {
        const report = await lintImage({
          image,
          model,
          podmanPath: cfg.podmanPath,
          connection: cfg.connection,
          remote: cfg.remote,
          runBootc: cfg.runBootcLint,
          runArgs: cfg.imageRunArgs,
          isolation: cfg.isolation,
          signal: ac.signal,
          log: (l) => deps.log.info(l),
        });
        deps.diagnostics.setImageFindings(uri, report);
        if (report.bootcError) deps.log.warn(report.bootcError);
        deps.output.appendLine(
          `Image lint: ${report.findings.length} finding(s) (${report.bootc ? 'bootc container lint and ' : ''}bootc Lab's port, ${report.attribution === 'layers' ? 'attributed to instructions' : 'not attributed: layers not readable'})`,
        );
        return report;
      } catch (e) {
        if (ac.signal.aborted) return undefined;
        deps.log.error(`Image lint failed: ${(e as Error).message}`);
        void vscode.window.showErrorMessage(`bootc: image lint failed: ${(e as Error).message.split('\n')[0]}`);
        return undefined;
      }
    },
  );
}
