import * as vscode from 'vscode';
import type { Measurement } from '../../core/src/measure/analyze';

/** One build/lint/boot run, kept across restarts for the results view. */
export interface RunRecord {
  id: string;
  kind: 'build' | 'lint' | 'boot' | 'measure';
  file: string;
  image?: string;
  imageId?: string;
  digest?: string;
  size?: number;
  status: 'ok' | 'failed' | 'cancelled' | 'running';
  startedAt: number;
  durationMs?: number;
  steps?: { text: string; durationMs: number; line?: number }[];
  failure?: { message: string; line?: number };
  staticFindings?: number;
  imageFindings?: { lint: string; severity: string; message: string; line?: number; source: string }[];
  layers?: number;
  boot?: Record<string, unknown>;
  /** A boot that moved a machine to another image (Upgrade VM, Roll Back VM). */
  upgrade?: UpgradeRecord;
  /** bootc: Measure Image (partial while running or after a cancel). */
  measurement?: Measurement;
}

export interface UpgradeRecord {
  action: 'upgrade' | 'rollback';
  from: { image: string; imageId: string };
  to: { image: string; imageId: string };
  machineDir: string;
  /** The boot before it, for the side-by-side timelines. */
  before?: Record<string, unknown>;
  /** What the upgrade changes, from core/src/image/diff.ts when that module is wired in (see vms.ts). */
  diff?: unknown;
}

const KEY = 'bootcLab.runs';
const LIMIT = 50;

/** Bounded run history in workspace storage, newest first. */
export class RunStore {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly state: vscode.Memento) {}

  all(): RunRecord[] {
    return this.state.get<RunRecord[]>(KEY, []);
  }

  get(id: string): RunRecord | undefined {
    return this.all().find((r) => r.id === id);
  }

  async put(run: RunRecord): Promise<void> {
    const runs = this.all().filter((r) => r.id !== run.id);
    runs.unshift(run);
    await this.state.update(KEY, runs.slice(0, LIMIT));
    this.emitter.fire();
  }

  async clear(): Promise<void> {
    await this.state.update(KEY, []);
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export function newRunId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
