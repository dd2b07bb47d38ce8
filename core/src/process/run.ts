import type { ResultPromise } from 'execa';

/** A program and its arguments: never a shell string. */
export interface CommandSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text written to stdin. */
  input?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Milliseconds between SIGTERM and SIGKILL of the process group on cancel. */
  killGraceMs?: number;
  /** Give up after this long (kills the process group, throws `TimeoutError`). */
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const TAIL_LINES = 20;
/** What `run` keeps of a program's stdout or stderr. */
const MAX_OUTPUT = 64 * 1024 * 1024;

export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

export function describe(spec: CommandSpec): string {
  const q = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [spec.command, ...spec.args].map(q).join(' ');
}

/** The program exited non-zero; the message carries the tail of its stderr. */
export class ProcessError extends Error {
  constructor(
    readonly spec: CommandSpec,
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${spec.command} ${spec.args[0] ?? ''} failed (exit ${exitCode})${stderr.trim() ? `:\n${tail(stderr)}` : ''}`);
  }
}

/** The program is not installed or not on PATH. */
export class NotFoundError extends Error {
  constructor(readonly command: string) {
    super(`${command} was not found on PATH`);
  }
}

export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
  }
}

export class TimeoutError extends Error {
  constructor(
    readonly spec: CommandSpec,
    readonly ms: number,
    readonly stderr: string,
  ) {
    super(
      `${spec.command} ${spec.args[0] ?? ''} did not finish within ${Math.round(ms / 1000)} s${stderr.trim() ? `:\n${tail(stderr)}` : ''}`,
    );
  }
}

function splitLines(cb: ((line: string) => void) | undefined): (chunk: Buffer) => void {
  let rest = '';
  return (chunk: Buffer) => {
    if (!cb) return;
    const text = rest + chunk.toString('utf8');
    const parts = text.split(/\r?\n/);
    rest = parts.pop() ?? '';
    for (const p of parts) cb(p);
  };
}

/** Kills the whole process group: podman forks helpers (buildah, conmon, runtimes) that must die too. */
export function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until no process of the group is left; false if some still are after `ms`. */
async function groupGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Waits until every process of the group is gone, SIGKILLing the group after the grace period.
 * The leader exiting is not enough: a helper it forked just as SIGTERM arrived missed the signal.
 */
async function reapGroup(pid: number | undefined, graceMs: number): Promise<void> {
  if (!pid || (await groupGone(pid, graceMs))) return;
  killTree(pid, 'SIGKILL');
  await groupGone(pid, 1000);
}

/**
 * Runs a program without a shell, streaming its output by line. Cancelling (the signal) or a
 * timeout kills the whole process group, SIGTERM first, then SIGKILL after a grace period.
 */
export async function run(spec: CommandSpec, opts: RunOptions = {}): Promise<RunResult> {
  if (opts.signal?.aborted) throw new CancelledError();
  const { execa } = await import('execa');
  let child: ResultPromise;
  try {
    child = execa(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: true,
      input: spec.input,
      stdin: spec.input === undefined ? 'ignore' : 'pipe',
      reject: false,
      detached: true,
      cleanup: true,
      stripFinalNewline: false,
      encoding: 'utf8',
      maxBuffer: MAX_OUTPUT,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(spec.command);
    throw e;
  }
  child.stdout?.on('data', splitLines(opts.onStdout));
  child.stderr?.on('data', splitLines(opts.onStderr));
  let cancelled = false;
  let timedOut = false;
  let hardKill: NodeJS.Timeout | undefined;
  const stop = (): void => {
    killTree(child.pid, 'SIGTERM');
    hardKill = setTimeout(() => killTree(child.pid, 'SIGKILL'), opts.killGraceMs ?? 5000);
    hardKill.unref();
  };
  const onAbort = (): void => {
    cancelled = true;
    stop();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, opts.timeoutMs)
    : undefined;
  try {
    const r = await child;
    if (r.failed && (r as { code?: string }).code === 'ENOENT') throw new NotFoundError(spec.command);
    const stdout = String(r.stdout ?? '');
    const stderr = String(r.stderr ?? '');
    if (cancelled) throw new CancelledError();
    if (timedOut) throw new TimeoutError(spec, opts.timeoutMs ?? 0, stderr);
    // execa stops reading at the limit and kills the program: its output is cut, never a result.
    if ((r as { isMaxBuffer?: boolean }).isMaxBuffer)
      throw new Error(
        `${describe(spec)} printed more than ${MAX_OUTPUT >> 20} MB; its output was cut off${stderr.trim() ? `:\n${tail(stderr)}` : ''}`,
      );
    const exitCode = typeof r.exitCode === 'number' ? r.exitCode : 1;
    return { exitCode, stdout, stderr };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    if (hardKill) {
      // Return only once the group is gone, so nothing outlives a cancelled or timed-out command.
      clearTimeout(hardKill);
      await reapGroup(child.pid, opts.killGraceMs ?? 5000);
    }
  }
}

/** Like `run`, but a non-zero exit throws `ProcessError` with the stderr tail. */
export async function runChecked(spec: CommandSpec, opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(spec, opts);
  if (r.exitCode !== 0) throw new ProcessError(spec, r.exitCode, r.stdout, r.stderr);
  return r;
}
