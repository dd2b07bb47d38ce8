import * as fs from 'node:fs';
import { NotFoundError, run, runChecked, type RunOptions } from '../process/run';
import { podmanGlobal } from './build';

export interface PodmanTarget {
  podmanPath?: string;
  connection?: string;
  remote?: boolean;
}

const cmd = (t: PodmanTarget, args: string[]): { command: string; args: string[] } => ({
  command: t.podmanPath ?? 'podman',
  args: [...podmanGlobal(t), ...args],
});

/** One message for a missing podman everywhere; `elsewhere` says how this front end points at another binary. */
export function podmanMissingMessage(elsewhere = 'set bootcLab.podman.path if it is installed elsewhere'): string {
  return `podman is not installed or not on PATH. Install it (Fedora: sudo dnf install podman; Debian/Ubuntu: sudo apt-get install podman; others: https://podman.io/docs/installation), or ${elsewhere}.`;
}

export interface Preflight {
  version: string;
  rootless: boolean;
  graphRoot: string;
  graphDriver: string;
  freeBytes?: number;
  /** Problems that stop the build. */
  errors: string[];
  /** Things the user should know (old podman, little disk, rootless limits). */
  warnings: string[];
}

export const MIN_PODMAN = [4, 0];
export const HEREDOC_PODMAN = [4, 8];

export function versionAtLeast(v: string, min: number[]): boolean {
  const parts = v.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Checks podman before a build: installed, recent enough, storage with room, rootless or not. */
export async function preflight(
  t: PodmanTarget,
  opts: { usesHeredocs?: boolean; minFreeBytes?: number } = {},
  ro: RunOptions = {},
): Promise<Preflight> {
  const out: Preflight = { version: '', rootless: false, graphRoot: '', graphDriver: '', errors: [], warnings: [] };
  let info: {
    host?: { security?: { rootless?: boolean } };
    store?: { graphRoot?: string; graphDriverName?: string };
    version?: { Version?: string };
  };
  try {
    const r = await runChecked(cmd(t, ['info', '--format', 'json']), { ...ro, timeoutMs: 60_000 });
    info = JSON.parse(r.stdout) as typeof info;
  } catch (e) {
    if (e instanceof NotFoundError) {
      out.errors.push(podmanMissingMessage());
      return out;
    }
    out.errors.push(`podman does not work: ${(e as Error).message}`);
    return out;
  }
  out.version = info.version?.Version ?? '';
  out.rootless = !!info.host?.security?.rootless;
  out.graphRoot = info.store?.graphRoot ?? '';
  out.graphDriver = info.store?.graphDriverName ?? '';
  if (out.version && !versionAtLeast(out.version, MIN_PODMAN))
    out.errors.push(
      `podman ${out.version} is too old: bootc Lab needs podman 4.0 or later (bootc images are usually built with podman 5).`,
    );
  if (opts.usesHeredocs && out.version && !versionAtLeast(out.version, HEREDOC_PODMAN)) {
    out.warnings.push(
      `podman ${out.version} does not support heredocs (COPY <<EOF, RUN <<EOF), which this Containerfile uses: they need podman 4.8 or later. Use the build-context-file quick fixes instead.`,
    );
  }
  if (out.graphRoot && !t.connection && !t.remote) {
    try {
      const st = fs.statfsSync(out.graphRoot);
      out.freeBytes = st.bavail * st.bsize;
      const min = opts.minFreeBytes ?? 5 * 1024 ** 3;
      if (out.freeBytes < min)
        out.errors.push(
          `Container storage ${out.graphRoot} has only ${(out.freeBytes / 1024 ** 3).toFixed(1)} GiB free: bootc images need several GiB. Free space with \`podman system prune\` or \`podman image prune\`.`,
        );
    } catch {
      // graphRoot on another machine or not visible: nothing to check.
    }
  }
  if (out.rootless) {
    out.warnings.push(
      'podman runs rootless: building works, but installing to a disk image (`bootc install`, Install boot) needs rootful podman (`sudo podman` or a rootful podman machine).',
    );
  }
  return out;
}

export interface ImageInspect {
  Id: string;
  Digest?: string;
  Size?: number;
  Labels?: Record<string, string> | null;
  RootFS?: { Layers?: string[] };
  GraphDriver?: { Name?: string; Data?: Record<string, string> };
  History?: { created_by?: string; empty_layer?: boolean; comment?: string }[];
  Config?: { Labels?: Record<string, string> | null; User?: string };
}

export async function inspectImage(t: PodmanTarget, image: string, ro: RunOptions = {}): Promise<ImageInspect> {
  const r = await runChecked(cmd(t, ['image', 'inspect', '--format', 'json', image]), ro);
  const arr = JSON.parse(r.stdout) as ImageInspect[];
  const first = arr[0];
  if (!first) throw new Error(`podman image inspect returned nothing for ${image}`);
  return first;
}

export async function imageExists(t: PodmanTarget, image: string): Promise<boolean> {
  const r = await run(cmd(t, ['image', 'exists', image]));
  return r.exitCode === 0;
}

/** Mounts an image's root filesystem read-only (rootful podman); call `unmountImage` after. */
export async function mountImage(t: PodmanTarget, image: string, ro: RunOptions = {}): Promise<string> {
  const r = await runChecked(cmd(t, ['image', 'mount', image]), ro);
  const p = r.stdout.trim().split('\n').pop() ?? '';
  if (!p || !fs.existsSync(p)) throw new Error(`podman image mount did not return a usable path (got "${p}")`);
  return p;
}

export async function unmountImage(t: PodmanTarget, image: string): Promise<void> {
  await run(cmd(t, ['image', 'unmount', image]));
}

/** Build containers podman/buildah keep while building (`podman ps --external`). */
export async function externalContainers(t: PodmanTarget): Promise<Set<string>> {
  const r = await run(cmd(t, ['ps', '--all', '--external', '--format', '{{.ID}}']));
  return new Set(
    r.stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

export async function removeContainers(t: PodmanTarget, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await run(cmd(t, ['rm', '--force', ...ids]));
}
