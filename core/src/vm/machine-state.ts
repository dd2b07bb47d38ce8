import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotFoundError, runChecked, type RunOptions } from '../process/run';

/**
 * A machine's state directory (`bootc-lab boot --state DIR`): the state disk the guest's shim
 * mounts (`/etc` per deployment and the shared `/var`, see machine-shim.ts), and `deployments.json`,
 * the host's record of what was booted, so the CLI, the VMs view and the boot record can say first
 * boot / upgrade / rollback without opening the disk.
 */
export const STATE_FILE = 'deployments.json';
export const STATE_DISK = 'state.img';
const LOCK_FILE = 'lock';
/** Sparse: it only takes what /etc copies and /var use. */
const STATE_DISK_BYTES = 16 * 1024 ** 3;

export type BootKind = 'first-boot' | 'upgrade' | 'rollback' | 'reboot';

export interface Deployment {
  /** The reference it was booted as (e.g. localhost/app:latest). */
  image: string;
  imageId: string;
  /** When this deployment was created (its first boot), ISO time. */
  deployedAt: string;
}

export interface MachineState {
  version: 1;
  booted?: Deployment;
  /** What a rollback boots: the deployment before the booted one. */
  previous?: Deployment;
  history: { at: string; kind: BootKind; image: string; imageId: string; from?: string }[];
}

export function emptyState(): MachineState {
  return { version: 1, history: [] };
}

export function readMachineState(dir: string): MachineState {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, STATE_FILE), 'utf8');
  } catch {
    return emptyState();
  }
  const s = JSON.parse(text) as Partial<MachineState>;
  if (s.version !== 1) throw new Error(`${path.join(dir, STATE_FILE)}: unknown version ${String(s.version)}`);
  return { version: 1, booted: s.booted, previous: s.previous, history: Array.isArray(s.history) ? s.history : [] };
}

export function writeMachineState(dir: string, s: MachineState): void {
  const file = path.join(dir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * What booting `imageId` with this state is: the same decision the shim makes in the guest. The
 * previous image is a rollback (`bootc rollback`: its deployment as it was left) unless `redeploy`
 * asks for what `bootc switch` to that image does: a new deployment, `/etc` merged from the booted one.
 */
export function bootKind(s: MachineState, imageId: string, redeploy = false): BootKind {
  if (!s.booted) return 'first-boot';
  if (s.booted.imageId === imageId) return 'reboot';
  if (s.previous?.imageId === imageId && !redeploy) return 'rollback';
  return 'upgrade';
}

/** The state after a boot of that kind (bootc keeps the booted deployment and one to roll back to). */
export function applyBoot(s: MachineState, kind: BootKind, image: string, imageId: string, now = new Date()): MachineState {
  const at = now.toISOString();
  const history = [...s.history, { at, kind, image, imageId, ...(s.booted && kind !== 'reboot' ? { from: s.booted.imageId } : {}) }];
  switch (kind) {
    case 'first-boot':
      return { version: 1, booted: { image, imageId, deployedAt: at }, history };
    case 'reboot':
      return { ...s, booted: s.booted ? { ...s.booted, image } : { image, imageId, deployedAt: at }, history };
    case 'rollback':
      // The deployment keeps the name it was deployed as: a rollback is often booted by image ID.
      return {
        version: 1,
        booted: s.previous ?? { image, imageId, deployedAt: at },
        previous: s.booted,
        history,
      };
    case 'upgrade':
      return { version: 1, booted: { image, imageId, deployedAt: at }, previous: s.booted, history };
  }
}

/** Creates DIR and its state disk on first use (an empty ext4: the guest seeds it), and takes DIR's lock. */
export async function openMachine(dir: string, ro: RunOptions = {}, mkfsPath = 'mkfs.ext4'): Promise<{ release: () => void }> {
  fs.mkdirSync(dir, { recursive: true });
  const release = lockMachine(dir);
  try {
    const disk = path.join(dir, STATE_DISK);
    if (!fs.existsSync(disk)) {
      const tmp = `${disk}.tmp`;
      fs.rmSync(tmp, { force: true });
      try {
        await runChecked({ command: mkfsPath, args: ['-q', '-F', '-L', 'bootc-lab-state', tmp, `${STATE_DISK_BYTES / 1024}k`] }, ro);
      } catch (e) {
        if (e instanceof NotFoundError) throw new Error('mkfs.ext4 was not found: install e2fsprogs.');
        throw e;
      }
      fs.renameSync(tmp, disk);
    }
    return { release };
  } catch (e) {
    release();
    throw e;
  }
}

/** States locked by this process (the extension host runs several VMs). */
const held = new Set<string>();

/** One VM per state at a time: a second would corrupt the state disk. A lock of a dead process is taken over. */
export function lockMachine(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  if (held.has(path.resolve(dir)))
    throw new Error(`The machine state ${dir} is in use by another VM. Stop it first, or use another --state.`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      held.add(path.resolve(dir));
      return () => {
        held.delete(path.resolve(dir));
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid && isAlive(pid) && pid !== process.pid)
        throw new Error(`The machine state ${dir} is in use by another VM (process ${pid}). Stop it first, or use another --state.`);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the machine state ${dir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A short image ID for display, as podman prints it. */
export function shortId(imageId: string): string {
  return imageId.replace(/^sha256:/, '').slice(0, 12);
}

/** `bootc status`-like lines for the VMs view and the CLI. */
export function describeDeployments(s: MachineState): { role: 'booted' | 'previous'; image: string; imageId: string }[] {
  const out: { role: 'booted' | 'previous'; image: string; imageId: string }[] = [];
  if (s.booted) out.push({ role: 'booted', image: s.booted.image, imageId: s.booted.imageId });
  if (s.previous) out.push({ role: 'previous', image: s.previous.image, imageId: s.previous.imageId });
  return out;
}
