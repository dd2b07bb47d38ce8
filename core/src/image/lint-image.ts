import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Range } from 'vscode-languageserver-types';
import { rootStage, type ContainerfileModel } from '../model/containerfile';
import { run, runChecked, tail, type RunOptions } from '../process/run';
import { podmanGlobal } from '../podman/build';
import { inspectImage, mountImage, unmountImage, type ImageInspect, type PodmanTarget } from '../podman/podman';
import { layerDirs, layerOfAccount, layerOfPath, mapHistory, ownerOfLayer, type HistoryLayer, type Owner } from './attribution';
import { parseBootcLint, type BootcLintOutput } from './bootc-output';
import { ALL_IMAGE_LINTS, lintRootfs, lintRootfsOwn, type ImageLintResult } from './lints';

/** An image finding placed on the Containerfile, shaped like the typing-time findings. */
export interface ImageFinding {
  lint: string;
  severity: 'error' | 'warning';
  source: 'image' | 'bootc';
  message: string;
  paths: string[];
  /** Where it lands: the instruction that added the content, or FROM for the base image. */
  range?: Range;
  attributedTo: 'instruction' | 'base' | 'unknown';
}

export interface ImageLintReport {
  image: string;
  imageId: string;
  digest?: string;
  size?: number;
  /** Number of filesystem layers of the image. */
  layers?: number;
  findings: ImageFinding[];
  /** Our port's raw results. */
  port: { results: ImageLintResult[]; passed: number; skipped: number };
  /** bootc Lab's own image checks (dpkg database, initramfs modules, links into /var). */
  own: ImageLintResult[];
  /** What could not be checked, and why (a missing decompressor). */
  notes: string[];
  /** bootc's own output, when the image has /usr/bin/bootc. */
  bootc?: BootcLintOutput;
  bootcError?: string;
  /** How bootc's own lint ran: `podman run`, or a throwaway build where run is not allowed. */
  bootcVia?: 'run' | 'build';
  /** How the root filesystem was read. */
  access: 'mount' | 'export';
  attribution: 'layers' | 'none';
  timings: { rootfsMs: number; portMs: number; bootcMs?: number; attributionMs: number };
}

export interface LintImageOptions extends PodmanTarget {
  image: string;
  model?: ContainerfileModel;
  /** Run the image's own `bootc container lint` when it has one (default true). */
  runBootc?: boolean;
  /** Extra `podman run` arguments for bootc's lint (a test machine may need `--runtime runc`). */
  runArgs?: string[];
  /** `--isolation` for the throwaway build used when `podman run` is not allowed. */
  isolation?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

const cmd = (t: PodmanTarget, args: string[]): { command: string; args: string[] } => ({
  command: t.podmanPath ?? 'podman',
  args: [...podmanGlobal(t), ...args],
});

/** Gives the image's root filesystem to `fn`: mounted (rootful), or exported to a temp dir otherwise. */
export async function withRootfs<T>(
  o: PodmanTarget & { image: string; signal?: AbortSignal; log?: (line: string) => void },
  fn: (root: string, access: 'mount' | 'export') => T | Promise<T>,
): Promise<T> {
  const ro: RunOptions = { signal: o.signal };
  let mounted: string | undefined;
  try {
    mounted = await mountImage(o, o.image, ro);
  } catch (e) {
    // A cancelled mount is not a reason to fall back to exporting.
    if (o.signal?.aborted) throw e;
    o.log?.(`podman image mount is not available (${(e as Error).message.split('\n')[0]}); exporting the filesystem instead`);
  }
  if (mounted) {
    try {
      return await fn(mounted, 'mount');
    } finally {
      await unmountImage(o, o.image);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-rootfs-'));
  const name = `bootc-lab-export-${process.pid}-${Date.now()}`;
  try {
    await runChecked(cmd(o, ['create', '--name', name, o.image, '/bin/true']), ro);
    const tar = path.join(dir, 'rootfs.tar');
    await runChecked(cmd(o, ['export', '-o', tar, name]), ro);
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    await runChecked({ command: 'tar', args: ['-xf', tar, '-C', root, '--no-same-owner'] }, ro);
    fs.rmSync(tar, { force: true });
    return await fn(root, 'export');
  } finally {
    await run(cmd(o, ['rm', '--force', name]));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `podman run` failed before bootc ran (exit 125-127: podman or the OCI runtime refused). */
function runRefused(exitCode: number, stderr: string): boolean {
  return exitCode >= 125 && exitCode <= 127 && !/Checks passed|Failed lint|Lint warning|error: Linting/.test(stderr);
}

/**
 * Where `podman run` is restricted (no cgroups, no rlimits), a throwaway build of
 * `FROM image` + `RUN bootc container lint` runs the same lint in a build step.
 */
async function lintInThrowawayBuild(o: LintImageOptions, imageId: string, flags: string[]): Promise<{ stdout: string; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-lintbuild-'));
  const iid = path.join(dir, 'iid');
  try {
    // The lint's exit status must not fail the build: its output is what we want.
    fs.writeFileSync(
      path.join(dir, 'Containerfile'),
      `FROM ${imageId}\nRUN bootc container lint ${flags.join(' ')}; echo "bootc-lab: lint exit $?"\n`,
    );
    const r = await run(
      cmd(o, [
        'build',
        '--no-cache',
        '--pull=never',
        ...(o.isolation === 'chroot' ? [] : ['--network=none']),
        ...(o.isolation ? [`--isolation=${o.isolation}`] : []),
        '--iidfile',
        iid,
        '-f',
        path.join(dir, 'Containerfile'),
        dir,
      ]),
      { signal: o.signal, timeoutMs: 600_000 },
    );
    return { stdout: r.stdout, stderr: r.stderr };
  } finally {
    if (fs.existsSync(iid)) await run(cmd(o, ['rmi', '--force', fs.readFileSync(iid, 'utf8').trim()]));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runBootcLint(
  o: LintImageOptions,
  imageId: string,
): Promise<{ output?: BootcLintOutput; error?: string; via: 'run' | 'build' }> {
  const base = ['run', '--rm', '--network=none', ...(o.runArgs ?? []), '--entrypoint', '/usr/bin/bootc', o.image, 'container', 'lint'];
  let flags = ['--no-truncate'];
  let r = await run(cmd(o, [...base, ...flags]), { signal: o.signal, timeoutMs: 600_000 });
  let via: 'run' | 'build' = 'run';
  let out = { stdout: r.stdout, stderr: r.stderr };
  if (runRefused(r.exitCode, r.stderr)) {
    o.log?.(
      `podman run is not allowed here (${r.stderr.trim().split('\n').pop() ?? ''}); running bootc container lint in a throwaway build instead`,
    );
    via = 'build';
    out = await lintInThrowawayBuild(o, imageId, flags);
  }
  let parsed = parseBootcLint(out.stdout, out.stderr);
  if (parsed.unknownFlag) {
    // bootc < 1.3.0 has no --no-truncate.
    flags = [];
    if (via === 'run') {
      r = await run(cmd(o, base), { signal: o.signal, timeoutMs: 600_000 });
      out = { stdout: r.stdout, stderr: r.stderr };
    } else out = await lintInThrowawayBuild(o, imageId, flags);
    parsed = parseBootcLint(out.stdout, out.stderr);
  }
  const understood = parsed.results.length > 0 || parsed.passed !== undefined || parsed.notOstree || parsed.legacyFailure;
  if (!understood) return { via, error: `bootc container lint could not run in the image: ${tail(out.stderr.trim(), 5)}` };
  return { output: parsed, via };
}

function messageOf(r: ImageLintResult, paths?: string[]): string {
  const listed = r.items.length > 0 || (r.sections ?? []).length > 0;
  if (!listed) return r.runtimeError ? `${r.message} (bootc reports this as an unexpected runtime error)` : r.message;
  const items = [...new Set(paths ?? [...r.items, ...(r.sections ?? []).flatMap((s) => s.items)])];
  const shown = items.slice(0, 8);
  const more = items.length > shown.length ? ` …and ${items.length - shown.length} more` : '';
  const head = r.runtimeError ? `${r.message} (bootc reports this as an unexpected runtime error)` : r.message;
  return shown.length ? `${head.replace(/:$/, '')}: ${shown.join(', ')}${more}` : head;
}

export interface Placement {
  /** The image's layer directories, bottom to top (undefined: no layer access). */
  dirs?: string[];
  history: HistoryLayer[];
  model?: ContainerfileModel;
  fromRange?: Range;
}

/**
 * Puts one lint result on the instructions whose layers added its paths: one finding per owning
 * instruction, or a single finding on the newest owner for lints that describe one problem of the
 * whole image (two kernels are one problem, caused by whoever added the second).
 */
export function placeResult(r: ImageLintResult, source: 'image' | 'bootc', at: Placement): ImageFinding[] {
  const { dirs, history, model, fromRange } = at;
  const severity = r.type === 'fatal' ? 'error' : 'warning';
  const groups = new Map<string, { owner: Owner; paths: string[] }>();
  const add = (owner: Owner, p: string): void => {
    const key = owner.kind === 'instruction' ? `i${owner.instruction.index}` : owner.kind;
    const g = groups.get(key) ?? { owner, paths: [] };
    g.paths.push(p);
    groups.set(key, g);
  };
  if (dirs && model) {
    // Something in no layer at all (a missing /sysroot) is the base image's doing.
    const owner = (layer: number | undefined): Owner => (layer === undefined ? { kind: 'base' } : ownerOfLayer(history, layer, model));
    if (ALL_IMAGE_LINTS.find((m) => m.name === r.lint)?.oneProblem && r.paths.length > 0) {
      const layers = r.paths.map((p) => layerOfPath(dirs, p)).filter((l): l is number => l !== undefined);
      const newest = owner(layers.length ? Math.max(...layers) : undefined);
      for (const p of r.paths) add(newest, p);
    } else for (const p of r.paths) add(owner(layerOfPath(dirs, p)), p);
    for (const u of r.users ?? []) add(owner(layerOfAccount(dirs, u.kind, u.name)), u.name);
  }
  if (groups.size === 0) {
    // Nothing to attribute (a missing file, or no layer access): the FROM line carries it.
    return [
      { lint: r.lint, severity, source, message: messageOf(r), paths: r.paths, range: fromRange, attributedTo: model ? 'base' : 'unknown' },
    ];
  }
  const out: ImageFinding[] = [];
  for (const g of groups.values()) {
    const msg = messageOf(r, g.paths);
    if (g.owner.kind === 'instruction') {
      out.push({
        lint: r.lint,
        severity,
        source,
        message: msg,
        paths: g.paths,
        range: g.owner.instruction.headRange,
        attributedTo: 'instruction',
      });
    } else {
      const base = model ? rootStage(model)?.image : undefined;
      out.push({
        lint: r.lint,
        severity,
        source,
        message: `${msg} (from the base image${base ? ` ${base}` : ''})`,
        paths: g.paths,
        range: fromRange,
        attributedTo: g.owner.kind === 'base' ? 'base' : 'unknown',
      });
    }
  }
  return out;
}

/** Builds, mounts or exports, lints (our port and bootc's own), attributes findings to instructions. */
export async function lintImage(o: LintImageOptions): Promise<ImageLintReport> {
  const inspect: ImageInspect = await inspectImage(o, o.image, { signal: o.signal });
  const timings = { rootfsMs: 0, portMs: 0, attributionMs: 0 } as ImageLintReport['timings'];
  const t0 = Date.now();
  let hasBootc = false;
  const notes: string[] = [];
  const { port, own, access } = await withRootfs(o, async (root, access) => {
    timings.rootfsMs = Date.now() - t0;
    const t1 = Date.now();
    const port = lintRootfs(root);
    const own = await lintRootfsOwn(root, {
      signal: o.signal,
      note: (m) => {
        notes.push(m);
        o.log?.(m);
      },
    });
    timings.portMs = Date.now() - t1;
    hasBootc = fs.existsSync(path.join(root, 'usr/bin/bootc'));
    return { port, own, access };
  });
  let bootc: BootcLintOutput | undefined;
  let bootcError: string | undefined;
  let bootcVia: 'run' | 'build' | undefined;
  if (hasBootc && o.runBootc !== false) {
    const t2 = Date.now();
    const b = await runBootcLint(o, inspect.Id);
    bootc = b.output;
    bootcError = b.error;
    bootcVia = b.via;
    timings.bootcMs = Date.now() - t2;
  }
  const t3 = Date.now();
  const dirs = layerDirs(inspect);
  const history = mapHistory(inspect, o.model);
  const fromRange = o.model ? (rootStage(o.model)?.fromInfo?.headRange ?? rootStage(o.model)?.imageRange) : undefined;
  // One finding per problem: bootc's own report wins for the lints it ran.
  const fromBootc = new Set((bootc?.results ?? []).map((r) => r.lint));
  const merged: { r: ImageLintResult; source: 'image' | 'bootc' }[] = [
    ...(bootc?.results ?? []).map((r) => ({ r, source: 'bootc' as const })),
    ...port.results
      .filter((r) => !fromBootc.has(r.lint) || (bootc?.skipped !== undefined && r.lint === 'buildah-injected' && !fromBootc.has(r.lint)))
      .map((r) => ({ r, source: 'image' as const })),
    ...own.map((r) => ({ r, source: 'image' as const })),
  ];
  const findings = merged.flatMap(({ r, source }) => placeResult(r, source, { dirs, history, model: o.model, fromRange }));
  timings.attributionMs = Date.now() - t3;
  findings.sort((a, b) => (a.range?.start.line ?? -1) - (b.range?.start.line ?? -1) || a.lint.localeCompare(b.lint));
  return {
    image: o.image,
    imageId: inspect.Id,
    digest: inspect.Digest,
    size: inspect.Size,
    layers: inspect.RootFS?.Layers?.length,
    findings,
    port,
    own,
    notes,
    bootc,
    bootcError,
    bootcVia,
    access,
    attribution: dirs ? 'layers' : 'none',
    timings,
  };
}
