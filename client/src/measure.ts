import * as vscode from 'vscode';
import { analyze, parseMeasurement, variantLabel, MEASURE_MODES, type MeasureMode, type Measurement } from '../../core/src/measure/analyze';
import { listImages, measure } from '../../core/src/measure/run';
import { readConfig } from './config';
import type { ResultsPanel } from './results';
import { newRunId, type RunRecord, type RunStore } from './runs';
import { vmConfig } from './vms';

const MODE_DETAIL: Record<MeasureMode, string> = {
  plain: 'the image root as an ordinary writable disk (like a package-mode install)',
  quick: 'bootc machine semantics: read-only /usr, /etc merge, /var on a fresh state per run',
  install: "the image's own bootc install to-disk, UEFI (needs bootc in the image and rootful podman)",
};

const mmss = (s: number): string =>
  s >= 60 ? `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s` : `${Math.round(s)} s`;

/** bootc: Measure Image — pick images, modes and runs; progress per boot; cancel keeps the finished runs. */
export async function measureImage(
  deps: { runs: RunStore; results: ResultsPanel; log: vscode.LogOutputChannel },
  resource?: vscode.Uri,
  defaultImage?: string,
): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'bootc Lab does not run podman or QEMU in an untrusted workspace. Trust the workspace to measure images.',
    );
    return;
  }
  const cfg = readConfig(resource);
  const vm = vmConfig(resource);
  const target = { podmanPath: cfg.podmanPath, connection: cfg.connection, remote: cfg.remote };
  let available: string[] = [];
  try {
    available = await listImages(target);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not list podman images: ${(e as Error).message}`);
    return;
  }
  const picked = await vscode.window.showQuickPick(
    available.map((i) => ({ label: i, picked: i === defaultImage })),
    { title: 'Measure: images (the first is the baseline)', canPickMany: true, ignoreFocusOut: true },
  );
  if (!picked?.length) return;
  const modes = await vscode.window.showQuickPick(
    MEASURE_MODES.map((m) => ({ label: m, detail: MODE_DETAIL[m], picked: m !== 'install' })),
    { title: 'Measure: modes (the first is the baseline)', canPickMany: true, ignoreFocusOut: true },
  );
  if (!modes?.length) return;
  const runsText = await vscode.window.showInputBox({
    title: 'Measure: boots per image and mode',
    value: '5',
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? undefined : 'A whole number ≥ 1'),
    ignoreFocusOut: true,
  });
  if (!runsText) return;
  const exec = await vscode.window.showInputBox({
    title: 'Measure: your own workload over SSH after each boot (optional)',
    placeHolder: 'e.g. systemctl start myapp && curl -fsS localhost:8080/health',
    ignoreFocusOut: true,
  });
  if (exec === undefined) return;

  const record: RunRecord = {
    id: newRunId('measure'),
    kind: 'measure',
    file: resource?.fsPath ?? '',
    image: picked.map((p) => p.label).join(', '),
    status: 'running',
    startedAt: Date.now(),
  };
  await deps.runs.put(record);
  let last: Measurement | undefined;
  const ac = new AbortController();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'bootc Lab: measuring', cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => ac.abort());
      let reported = 0;
      try {
        return await measure(
          {
            images: picked.map((p) => p.label),
            modes: modes.map((m) => m.label),
            runs: Number(runsText),
            exec: exec.trim() || undefined,
            memoryMb: vm.memoryMb,
            cpus: vm.cpus,
            kvm: vm.accel,
            qemuPath: vm.qemuPath,
            cacheDir: vm.cacheDir,
            kernelArgs: vm.kernelArgs,
            firmware: vm.firmware,
            bootTimeoutMs: vm.timeoutSec * 1000,
            ...target,
            log: (l) => deps.log.info(l),
            onProgress: (p) => {
              const pct = p.total ? (100 * p.done) / p.total : 100;
              const eta = p.etaSeconds === undefined ? 'estimating time left' : `about ${mmss(p.etaSeconds)} left`;
              progress.report({
                increment: pct - reported,
                message: p.next ? `boot ${p.done + 1}/${p.total}: ${variantLabel(p.next)} run ${p.next.run + 1} · ${eta}` : 'done',
              });
              reported = pct;
            },
            onRun: (m) => {
              last = m;
              void deps.runs.put({ ...record, measurement: m, durationMs: Date.now() - record.startedAt });
            },
          },
          ac.signal,
        );
      } catch (e) {
        deps.log.error(`Measurement failed: ${(e as Error).message}`);
        void vscode.window.showErrorMessage(`Measurement failed: ${(e as Error).message}`);
        return last ? analyze({ ...last, cancelled: true }) : undefined;
      }
    },
  );
  const ok = result?.variants.some((v) => v.runs.some((r) => !r.failure));
  await deps.runs.put({
    ...record,
    status: result?.cancelled ? 'cancelled' : ok ? 'ok' : 'failed',
    durationMs: Date.now() - record.startedAt,
    measurement: result,
    failure: ok ? undefined : { message: 'No boot succeeded; see the bootc Lab output.' },
  });
  deps.results.show(record.id);
}

/** Opens a measurement saved by `bootc-lab measure --out` or Export JSON in the results view. */
export async function openMeasurement(deps: { runs: RunStore; results: ResultsPanel }, uri?: vscode.Uri): Promise<void> {
  // The JSON open in the editor is the obvious candidate (`measure --out`, then open the file).
  const active = vscode.window.activeTextEditor?.document.uri;
  const file =
    uri ??
    (active?.path.endsWith('.json') ? active : undefined) ??
    (
      await vscode.window.showOpenDialog({
        filters: { 'Measurement JSON': ['json'] },
        canSelectMany: false,
        title: 'Open a bootc Lab measurement',
      })
    )?.[0];
  if (!file) return;
  const text = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8');
  let m: Measurement;
  try {
    m = parseMeasurement(text);
  } catch (e) {
    void vscode.window.showErrorMessage(`${file.fsPath}: ${(e as Error).message}`);
    return;
  }
  const id = newRunId('measure');
  await deps.runs.put({
    id,
    kind: 'measure',
    file: file.fsPath,
    image: m.variants
      .map((v) => v.image)
      .filter((x, i, a) => a.indexOf(x) === i)
      .join(', '),
    status: m.cancelled ? 'cancelled' : 'ok',
    startedAt: Date.parse(m.startedAt) || Date.now(),
    durationMs: m.finishedAt ? Date.parse(m.finishedAt) - Date.parse(m.startedAt) : undefined,
    measurement: m,
  });
  deps.results.show(id);
}
