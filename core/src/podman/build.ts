import * as path from 'node:path';
import type { CommandSpec } from '../process/run';
import type { ContainerfileModel, InstructionInfo } from '../model/containerfile';

/** What `podman build` needs; everything optional has podman's own default. */
export interface BuildOptions {
  podmanPath?: string;
  file: string;
  context: string;
  tag: string;
  buildArgs?: Record<string, string>;
  target?: string;
  /** `oci`, `chroot`, `rootless`; unset means podman's default. */
  isolation?: string;
  /** A `podman system connection` name: build on another machine. */
  connection?: string;
  /** `podman --remote`. */
  remote?: boolean;
  /** Extra arguments inserted before the context, from settings. */
  extraArgs?: string[];
  /** Where podman writes the image ID (`--iidfile`). */
  iidFile?: string;
}

/** `localhost/<folder>:latest`, lower-cased and limited to characters image names allow. */
export function defaultTag(contextDir: string): string {
  const name =
    path
      .basename(path.resolve(contextDir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '') || 'bootc-image';
  return `localhost/${name}:latest`;
}

/** Global podman flags (connection, remote) come before the sub-command. */
export function podmanGlobal(o: { connection?: string; remote?: boolean }): string[] {
  const g: string[] = [];
  if (o.connection) g.push('--connection', o.connection);
  else if (o.remote) g.push('--remote');
  return g;
}

export function buildCommand(o: BuildOptions): CommandSpec {
  const args = [...podmanGlobal(o), 'build', '-f', o.file, '-t', o.tag];
  if (o.target) args.push('--target', o.target);
  for (const [k, v] of Object.entries(o.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (o.isolation) args.push(`--isolation=${o.isolation}`);
  if (o.iidFile) args.push('--iidfile', o.iidFile);
  args.push(...(o.extraArgs ?? []));
  args.push(o.context);
  return { command: o.podmanPath ?? 'podman', args };
}

export interface StepEvent {
  /** 1-based stage number when podman prints `[s/n]`, else 1. */
  stage: number;
  stages: number;
  step: number;
  steps: number;
  text: string;
}

export interface StepTiming extends StepEvent {
  startMs: number;
  durationMs?: number;
}

const STEP = /^(?:\[(\d+)\/(\d+)\] )?STEP (\d+)\/(\d+): (.*)$/;
const FAIL = /^Error: (?:error )?building at STEP "((?:[^"\\]|\\.)*)": (.*)$/s;

/** Reads `podman build` output line by line: steps with durations, the failing step, the image. */
export class BuildProgress {
  readonly steps: StepTiming[] = [];
  failure?: { stepText: string; message: string };
  imageId?: string;
  private readonly now: () => number;
  private readonly errorLines: string[] = [];

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Feeds one line; returns the step that started on it, if any. */
  feed(line: string): StepEvent | undefined {
    const clean = line.replace(/\r$/, '');
    const m = STEP.exec(clean);
    if (m) {
      const t = this.now();
      const prev = this.steps[this.steps.length - 1];
      if (prev && prev.durationMs === undefined) prev.durationMs = t - prev.startMs;
      const ev: StepTiming = {
        stage: Number(m[1] ?? 1),
        stages: Number(m[2] ?? 1),
        step: Number(m[3]),
        steps: Number(m[4]),
        text: m[5] ?? '',
        startMs: t,
      };
      this.steps.push(ev);
      return ev;
    }
    const f = FAIL.exec(clean);
    if (f) this.failure = { stepText: (f[1] ?? '').replace(/\\"/g, '"'), message: f[2] ?? '' };
    if (/^[0-9a-f]{64}$/.test(clean.trim())) this.imageId = clean.trim();
    this.errorLines.push(clean);
    if (this.errorLines.length > 40) this.errorLines.shift();
    return undefined;
  }

  /** Closes the last step's timing. */
  finish(): void {
    const last = this.steps[this.steps.length - 1];
    if (last && last.durationMs === undefined) last.durationMs = this.now() - last.startMs;
  }

  /** The last lines of output, for error messages. */
  tail(n = 15): string {
    return this.errorLines.slice(-n).join('\n');
  }

  current(): StepTiming | undefined {
    return this.steps[this.steps.length - 1];
  }
}

function norm(s: string): string {
  return s
    .replace(/\\\r?\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * Which instruction a step is. podman numbers steps per stage, FROM included, in file order;
 * `--target` stops early but keeps the numbering. Falls back to matching the step's text.
 */
export function instructionForStep(model: ContainerfileModel, stage: number, step: number, text?: string): InstructionInfo | undefined {
  const s = model.stages[stage - 1];
  const byIndex = s?.instructions[step - 1];
  if (byIndex && (!text || norm(byIndex.ins.getTextContent()).startsWith(norm(text).slice(0, 40)))) return byIndex;
  if (!text) return byIndex;
  const want = norm(text);
  const candidates = model.instructions.filter((i) =>
    norm(i.ins.getTextContent()).startsWith(want.slice(0, Math.max(12, Math.min(want.length, 60)))),
  );
  return candidates.find((i) => i.stage.index === stage - 1) ?? candidates[0] ?? byIndex;
}

/** The instruction a failed build points at: the step being run when the error came. */
export function failingInstruction(model: ContainerfileModel, progress: BuildProgress): InstructionInfo | undefined {
  const cur = progress.current();
  if (progress.failure) {
    const byText = instructionForStep(model, cur?.stage ?? 1, cur?.step ?? 0, progress.failure.stepText);
    if (byText) return byText;
  }
  return cur ? instructionForStep(model, cur.stage, cur.step, cur.text) : undefined;
}
