import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContainerfileModel, InstructionInfo } from '../model/containerfile';
import { CancelledError, describe, run } from '../process/run';
import { BuildProgress, buildCommand, failingInstruction, type BuildOptions, type StepEvent, type StepTiming } from './build';
import { externalContainers, removeContainers } from './podman';

export interface BuildResult {
  ok: boolean;
  cancelled: boolean;
  tag: string;
  imageId?: string;
  steps: StepTiming[];
  durationMs: number;
  /** The exact command line, for logs (it is never run through a shell). */
  commandLine: string;
  failure?: { instruction?: InstructionInfo; message: string; tail: string; exitCode?: number };
}

export interface RunBuildOptions extends BuildOptions {
  model?: ContainerfileModel;
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  onStep?: (step: StepEvent) => void;
}

/**
 * Runs `podman build`, streaming lines, timing steps and mapping a failure to its instruction.
 * Cancelling kills the whole process group and removes the build containers it left behind.
 */
export async function runBuild(o: RunBuildOptions): Promise<BuildResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-build-'));
  const iidFile = path.join(tmp, 'iid');
  const spec = buildCommand({ ...o, iidFile });
  const progress = new BuildProgress();
  const started = Date.now();
  const before = await externalContainers(o).catch(() => new Set<string>());
  const feed = (stream: 'stdout' | 'stderr') => (line: string) => {
    o.onLine?.(line, stream);
    const step = progress.feed(line);
    if (step) o.onStep?.(step);
  };
  const result: BuildResult = {
    ok: false,
    cancelled: false,
    tag: o.tag,
    steps: progress.steps,
    durationMs: 0,
    commandLine: describe(spec),
  };
  try {
    const r = await run(
      { ...spec, cwd: o.context },
      { signal: o.signal, onStdout: feed('stdout'), onStderr: feed('stderr'), killGraceMs: 3000 },
    );
    progress.finish();
    result.durationMs = Date.now() - started;
    if (r.exitCode === 0) {
      result.ok = true;
      result.imageId = fs.existsSync(iidFile)
        ? fs
            .readFileSync(iidFile, 'utf8')
            .trim()
            .replace(/^sha256:/, '')
        : progress.imageId;
      return result;
    }
    const instruction = o.model ? failingInstruction(o.model, progress) : undefined;
    result.failure = {
      instruction,
      message: progress.failure?.message ?? `podman build exited with ${r.exitCode}`,
      tail: progress.tail(),
      exitCode: r.exitCode,
    };
    return result;
  } catch (e) {
    progress.finish();
    result.durationMs = Date.now() - started;
    if (e instanceof CancelledError) {
      result.cancelled = true;
      // A killed build can leave its working containers (and their mounts) behind: remove what is new.
      const after = await externalContainers(o).catch(() => new Set<string>());
      await removeContainers(
        o,
        [...after].filter((id) => !before.has(id)),
      ).catch(() => undefined);
      return result;
    }
    throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
