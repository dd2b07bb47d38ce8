import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectImage, type PodmanTarget } from '../podman/podman';
import { runChecked, tail, type RunOptions } from '../process/run';
import {
  bootcRollbackArgv,
  bootcStatusArgv,
  copyIntoVmCommand,
  guestArchivePath,
  parseBootcStatus,
  remoteShellCommand,
  saveArchiveCommand,
  upgradeSteps,
  type BootcStatus,
} from './bootc-remote';

/**
 * Upgrade and rollback of an installed VM with the real bootc in it: the new image goes in as an OCI
 * archive (the guest cannot reach the host's container storage), `bootc switch` stages it, a reboot
 * boots it; `bootc rollback` queues the previous deployment. The guest's bootc does all the work.
 */

/** What an installed VM offers: bootc over SSH, a reboot into the staged deployment, scp's endpoint. */
export interface InstalledVm {
  ssh(command: string[], timeoutMs?: number, ro?: RunOptions): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  reboot(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  sshEndpoint(): { port: number; privateKey: string };
}

const BOOTC_MS = 30 * 60_000;

async function guest(vm: InstalledVm, argv: string[], what: string, ro: RunOptions): Promise<string> {
  const r = await vm.ssh([remoteShellCommand(argv)], BOOTC_MS, ro);
  if (r.exitCode !== 0) {
    const output = tail(
      [r.stdout, r.stderr]
        .map((x) => x.trim())
        .filter(Boolean)
        .join('\n'),
    );
    throw new Error(`${what} failed in the VM (exit ${r.exitCode}): ${argv.join(' ')}\n${output}`);
  }
  return r.stdout;
}

export async function bootcStatusOf(vm: InstalledVm, ro: RunOptions = {}): Promise<BootcStatus> {
  return parseBootcStatus(await guest(vm, bootcStatusArgv(), 'bootc status', ro));
}

/** Stages `image` (from the host's podman) on the VM with `bootc switch`; returns bootc's status after. */
export async function stageUpgrade(
  vm: InstalledVm,
  t: PodmanTarget & { image: string; log?: (s: string) => void },
  ro: RunOptions = {},
): Promise<BootcStatus> {
  const id = (await inspectImage(t, t.image, ro)).Id;
  const archive = guestArchivePath(id);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-upgrade-'));
  try {
    const local = path.join(dir, path.posix.basename(archive));
    t.log?.(`Saving ${t.image} as an OCI archive`);
    await runChecked(saveArchiveCommand({ ...t, out: local }), ro);
    const [mkdir, sw] = upgradeSteps(archive);
    await guest(vm, mkdir ?? [], 'mkdir', ro);
    t.log?.(`Copying it into the VM (${(fs.statSync(local).size / 1024 ** 2).toFixed(0)} MiB) as ${archive}`);
    const ep = vm.sshEndpoint();
    await runChecked(copyIntoVmCommand({ privateKey: ep.privateKey, port: ep.port, from: local, to: archive }), ro);
    t.log?.(`$ ${(sw ?? []).join(' ')}`);
    try {
      await guest(vm, sw ?? [], 'bootc switch', { ...ro, onStdout: t.log, onStderr: t.log });
    } finally {
      // bootc has imported it (or failed): the copy would only fill the guest's /var.
      await vm.ssh(['rm', '-f', archive], 60_000).catch(() => undefined);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return bootcStatusOf(vm, ro);
}

/** Queues the rollback deployment for the next boot with `bootc rollback`; returns bootc's status after. */
export async function stageRollback(vm: InstalledVm, o: { log?: (s: string) => void } = {}, ro: RunOptions = {}): Promise<BootcStatus> {
  o.log?.(`$ ${bootcRollbackArgv().join(' ')}`);
  await guest(vm, bootcRollbackArgv(), 'bootc rollback', { ...ro, onStdout: o.log, onStderr: o.log });
  return bootcStatusOf(vm, ro);
}
