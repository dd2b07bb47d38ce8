import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildModel, initShellParser, type ContainerfileModel } from '../../core/src';
import { lintImage, type ImageFinding } from '../../core/src/image/lint-image';
import { formatLikeBootc, OWN_IMAGE_LINTS } from '../../core/src/image/lints';
import { defaultTag } from '../../core/src/podman/build';
import { podmanMissingMessage, preflight } from '../../core/src/podman/podman';
import { runBuild } from '../../core/src/podman/run-build';
import { NotFoundError } from '../../core/src/process/run';
import { jsonPosition, type JsonFinding } from './formats';

export class UsageError extends Error {}

/** A failure that is not the user's command line: no usage text after it. */
export class CliError extends Error {}

const out = (s: string): boolean => process.stdout.write(s);
const err = (s: string): boolean => process.stderr.write(s);

/**
 * Ctrl-C or SIGTERM cancels the running podman or VM, which then cleans up instead of orphaning
 * processes. `release` removes the handlers once the work is over.
 */
export function interruptible(announce = true): { signal: AbortSignal; release: () => void } {
  const ac = new AbortController();
  const onSig = (): void => {
    if (announce) err('\nbootc-lab: cancelling…\n');
    ac.abort();
  };
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  return {
    signal: ac.signal,
    release: () => {
      process.removeListener('SIGINT', onSig);
      process.removeListener('SIGTERM', onSig);
    },
  };
}

export function readModel(file: string): ContainerfileModel {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return buildModel(text.replace(/^\uFEFF/, ''), `file://${path.resolve(file)}`);
}

function toJson(
  file: string | undefined,
  f: ImageFinding,
): JsonFinding | Omit<JsonFinding, 'file' | 'line' | 'column' | 'endLine' | 'endColumn'> {
  const base = { rule: f.lint, severity: f.severity, message: f.message, source: f.source };
  if (!file || !f.range) return base;
  return { ...jsonPosition(file, f.range), ...base };
}

function printImageFindings(findings: ImageFinding[], file: string | undefined, format: string): void {
  if (format === 'json') {
    out(
      JSON.stringify(
        findings.map((f) => toJson(file, f)),
        null,
        2,
      ) + '\n',
    );
    return;
  }
  for (const f of findings) {
    const where = file && f.range ? `${file}:${f.range.start.line + 1}:${f.range.start.character + 1}: ` : '';
    const by = f.source === 'bootc' ? 'bootc' : OWN_IMAGE_LINTS.some((l) => l.meta.name === f.lint) ? 'bootc-lab' : 'bootc-lab port';
    out(`${where}${f.severity} [${f.lint}] (${by}) ${f.message}\n`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  out(
    `${findings.length === 0 ? 'Image is clean' : `${findings.length} image finding${findings.length === 1 ? '' : 's'}`} (${errors} error, ${findings.length - errors} warning)\n`,
  );
}

export async function lintImageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f' },
      format: { type: 'string', default: 'text' },
      connection: { type: 'string' },
      podman: { type: 'string' },
      'no-bootc': { type: 'boolean', default: false },
      raw: { type: 'boolean', default: false },
      isolation: { type: 'string' },
    },
  });
  const image = positionals[0];
  if (!image || positionals.length > 1) throw new UsageError('lint-image needs exactly one IMAGE');
  if (!['text', 'json'].includes(values.format ?? '')) throw new UsageError(`unknown --format ${values.format} (expected text or json)`);
  await initShellParser();
  const model = values.file ? readModel(values.file) : undefined;
  const ac = interruptible();
  try {
    const report = await lintImage({
      image,
      model,
      podmanPath: values.podman,
      connection: values.connection,
      runBootc: !values['no-bootc'],
      isolation: values.isolation,
      signal: ac.signal,
      log: (l) => err(`${l}\n`),
    });
    if (values.raw && values.format !== 'json') out(formatLikeBootc(report.port.results, report.port.passed, report.port.skipped));
    if (report.bootcError) err(`bootc-lab: ${report.bootcError}\n`);
    printImageFindings(report.findings, values.file, values.format ?? 'text');
    return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
  } catch (e) {
    if (e instanceof NotFoundError) throw new CliError(podmanMissingMessage('pass --podman PATH if it is installed elsewhere'));
    if (ac.signal.aborted) return 130;
    throw new CliError((e as Error).message);
  } finally {
    ac.release();
  }
}

export async function buildCommandCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      context: { type: 'string' },
      tag: { type: 'string', short: 't' },
      'build-arg': { type: 'string', multiple: true, default: [] },
      target: { type: 'string' },
      isolation: { type: 'string' },
      connection: { type: 'string' },
      podman: { type: 'string' },
      'no-lint': { type: 'boolean', default: false },
      format: { type: 'string', default: 'text' },
    },
  });
  const file = positionals[0] ?? (fs.existsSync('Containerfile') ? 'Containerfile' : 'Dockerfile');
  if (positionals.length > 1) throw new UsageError('build takes one Containerfile');
  const context = values.context ?? path.dirname(path.resolve(file));
  if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) throw new UsageError(`build context ${context} is not a directory`);
  const buildArgs: Record<string, string> = {};
  for (const a of values['build-arg'] ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`--build-arg ${a}: expected NAME=VALUE`);
    buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  await initShellParser();
  const model = readModel(file);
  const target = { podmanPath: values.podman, connection: values.connection };
  const pre = await preflight(target, { usesHeredocs: model.instructions.some((i) => i.heredocs.length > 0) });
  for (const w of pre.warnings) err(`bootc-lab: warning: ${w}\n`);
  if (pre.errors.length) {
    for (const e of pre.errors) err(`bootc-lab: ${e}\n`);
    return 2;
  }
  const tag = values.tag ?? defaultTag(context);
  const ac = interruptible();
  const res = await runBuild({
    ...target,
    file,
    context,
    tag,
    buildArgs,
    target: values.target,
    isolation: values.isolation,
    model,
    signal: ac.signal,
    // podman's output goes to stdout for text; with --format json stdout carries only the JSON.
    onLine: (l) => (values.format === 'json' ? err : out)(`${l}\n`),
  });
  if (res.cancelled) {
    err('bootc-lab: build cancelled; build containers removed\n');
    return 130;
  }
  if (!res.ok) {
    const where = res.failure?.instruction ? `${file}:${res.failure.instruction.range.start.line + 1}:1: ` : '';
    err(`${where}error [build-failed] ${res.failure?.message ?? 'podman build failed'}\n`);
    return 1;
  }
  err(`bootc-lab: built ${tag} (${res.imageId?.slice(0, 12) ?? '?'}) in ${(res.durationMs / 1000).toFixed(1)} s\n`);
  for (const s of res.steps) err(`  ${String(((s.durationMs ?? 0) / 1000).toFixed(1)).padStart(6)} s  ${s.text}\n`);
  if (values['no-lint']) return 0;
  const report = await lintImage({ ...target, image: tag, model, isolation: values.isolation, signal: ac.signal });
  printImageFindings(report.findings, file, values.format ?? 'text');
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}
