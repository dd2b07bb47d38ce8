import { parseArgs } from 'node:util';
import type { PodmanTarget } from '../../core/src/podman/podman';
import { findCloudInit } from '../../core/src/vm/cloud-init';
import { bootcStatusOf, stageRollback, stageUpgrade } from '../../core/src/vm/install-lifecycle';
import { ImageNotBootableError } from '../../core/src/vm/prepare';
import { shortId } from '../../core/src/vm/machine-state';
import { Vm, type BootRecord, type MachineBoot } from '../../core/src/vm/vm';
import { UsageError, interruptible } from './image-commands';
import { libvirtBoot } from './vm-command';

const err = (s: string): boolean => process.stderr.write(s);

/**
 * `bootc-lab boot IMAGE`: boots, waits for login or SSH, optionally runs a command over SSH,
 * stops the VM and exits with the command's status (1 on timeout or boot failure).
 */
export async function bootCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string', default: 'quick' },
      wait: { type: 'string' },
      exec: { type: 'string' },
      timeout: { type: 'string', default: '300' },
      memory: { type: 'string', default: '2048' },
      cpus: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      accel: { type: 'string', default: 'auto' },
      'kernel-arg': { type: 'string', multiple: true, default: [] },
      'cache-dir': { type: 'string' },
      'cloud-init': { type: 'string' },
      state: { type: 'string' },
      redeploy: { type: 'boolean', default: false },
      podman: { type: 'string' },
      connection: { type: 'string' },
      remote: { type: 'boolean', default: false },
      qemu: { type: 'string' },
      firmware: { type: 'string' },
      'disk-size': { type: 'string' },
      filesystem: { type: 'string' },
      'install-in': { type: 'string' },
      then: { type: 'string', multiple: true },
      tpm: { type: 'boolean' },
      backend: { type: 'string', default: 'qemu' },
      name: { type: 'string' },
      connect: { type: 'string' },
      detach: { type: 'boolean', default: false },
      'pxe-tree': { type: 'string' },
    },
  });
  const image = positionals[0];
  if (!image || positionals.length > 1) throw new UsageError('boot needs exactly one IMAGE');
  if (values.mode !== 'quick' && values.mode !== 'install' && values.mode !== 'pxe')
    throw new UsageError(`--mode ${values.mode}: expected quick, install or pxe`);
  if (values.state !== undefined && values.mode !== 'quick')
    throw new UsageError('--state works with --mode quick (an install-mode VM keeps its state on its own disk)');
  if (values.state === '') throw new UsageError('--state needs a directory');
  if (values.redeploy && values.state === undefined)
    throw new UsageError('--redeploy needs --state: it makes booting the previous image a bootc switch, not a rollback');
  const steps = (values.then ?? []).map(parseStep);
  if (steps.length && values.mode !== 'install')
    throw new UsageError('--then upgrade=IMAGE / --then rollback runs the VM’s own bootc: it needs --mode install');
  const wait = values.wait ?? (values.exec || steps.length ? 'ssh' : 'login');
  if (steps.length && wait !== 'ssh') throw new UsageError('--then needs --wait ssh');
  if (wait !== 'login' && wait !== 'ssh') throw new UsageError(`--wait ${wait}: expected login or ssh`);
  if (values.exec && wait !== 'ssh') throw new UsageError('--exec needs --wait ssh');
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} ${v}: expected a number >= ${min}`);
    return n;
  };
  const timeoutMs = num('timeout', values.timeout, 1) * 1000;
  const memoryMb = num('memory', values.memory, 256);
  const cpus = num('cpus', values.cpus, 1);
  if (!['auto', 'kvm', 'tcg'].includes(values.accel ?? '')) throw new UsageError('--accel: expected auto, kvm or tcg');
  const diskSizeGb = values['disk-size'] === undefined ? undefined : num('disk-size', values['disk-size'].replace(/G(iB)?$/i, ''), 1);
  if (values.mode !== 'install' && (values.firmware || diskSizeGb || values.filesystem || values.tpm !== undefined || values['install-in']))
    throw new UsageError('--firmware, --disk-size, --filesystem, --install-in and --tpm apply to --mode install');
  const installIn = values['install-in'];
  if (installIn !== undefined && installIn !== 'auto' && installIn !== 'podman' && installIn !== 'vm')
    throw new UsageError(`--install-in ${installIn}: expected auto, podman or vm`);
  const log = (l: string): void => {
    if (!values.json) err(`${l}\n`);
  };
  const ac = interruptible(false);

  const cloudInit = values['cloud-init'] ? findCloudInit(values['cloud-init']) : undefined;
  if (values['cloud-init'] && !cloudInit) throw new UsageError(`--cloud-init ${values['cloud-init']}: no user-data file there`);
  if (values.backend !== 'qemu' && values.backend !== 'libvirt')
    throw new UsageError(`--backend ${values.backend}: expected qemu or libvirt`);
  if (values.backend === 'qemu' && (values.detach || values.name || values.connect))
    throw new UsageError('--detach, --name and --connect need --backend libvirt (a plain QEMU VM ends with the command)');
  if (values['pxe-tree'] && values.mode !== 'pxe') throw new UsageError('--pxe-tree needs --mode pxe');
  if (values.backend === 'libvirt') {
    if (values.mode === 'pxe') throw new UsageError('--mode pxe runs with the qemu backend only');
    ac.release();
    return libvirtBoot({
      image,
      mode: values.mode,
      name: values.name,
      connect: values.connect,
      detach: values.detach,
      wait,
      exec: values.exec,
      timeoutMs,
      memoryMb,
      cpus,
      kvm: values.accel === 'kvm' ? 'on' : values.accel === 'tcg' ? 'off' : 'auto',
      cacheDir: values['cache-dir'],
      kernelArgs: values['kernel-arg'],
      cloudInit,
      podmanPath: values.podman,
      json: values.json,
    });
  }
  const vm = new Vm({
    image,
    mode: values.mode,
    cloudInit,
    memoryMb,
    cpus,
    kvm: values.accel === 'kvm' ? 'on' : values.accel === 'tcg' ? 'off' : 'auto',
    cacheDir: values['cache-dir'],
    machineDir: values.state,
    redeploy: values.redeploy,
    kernelArgs: values['kernel-arg'],
    podmanPath: values.podman,
    connection: values.connection,
    remote: values.remote,
    qemuPath: values.qemu,
    firmware: values.firmware,
    diskSizeGb,
    filesystem: values.filesystem,
    installIn,
    tpm: values.tpm,
    pxeTree: values['pxe-tree'],
    log,
  });
  vm.on('state', (e: { state: string; at: number }) => log(`[${e.at.toFixed(1)} s] ${e.state}`));
  vm.on('machine', (m: MachineBoot) =>
    log(
      `Machine state ${m.dir}: ${m.kind ?? m.planned}${m.from ? ` from ${shortId(m.from)}` : ''} to ${shortId(m.deployments.booted?.imageId ?? '')}`,
    ),
  );
  let exitCode = 1;
  let record: BootRecord | undefined;
  let exec: { exitCode: number; stdout: string; stderr: string } | undefined;
  let failure: string | undefined;
  const stepResults: StepResult[] = [];
  try {
    await vm.start(ac.signal);
    await vm.waitFor(wait, timeoutMs, ac.signal);
    if (values.exec) {
      exec = await vm.ssh([values.exec], timeoutMs);
      if (!values.json) {
        process.stdout.write(exec.stdout);
        err(exec.stderr);
      }
      exitCode = exec.exitCode;
    } else exitCode = 0;
    if (wait === 'ssh') record = await vm.bootRecord();
    for (const step of steps) {
      const done = await runStep(
        vm,
        step,
        values.exec,
        timeoutMs,
        { podmanPath: values.podman, connection: values.connection, remote: values.remote, log },
        ac.signal,
      );
      stepResults.push(done);
      if (!values.json) {
        err(
          `bootc status after ${step.action}${step.image ? ` to ${step.image}` : ''}: booted ${done.booted ?? '?'}, rollback ${done.rollback ?? 'none'}\n`,
        );
        if (done.exec) {
          process.stdout.write(done.exec.stdout);
          err(done.exec.stderr);
        }
      }
      if (done.exec && done.exec.exitCode !== 0) exitCode = done.exec.exitCode;
    }
  } catch (e) {
    failure = e instanceof ImageNotBootableError ? e.message : (e as Error).message;
    if (!values.json) err(`bootc-lab: ${failure}\n`);
    exitCode = 1;
  } finally {
    await vm.stop();
    ac.release();
  }
  record ??= {
    image,
    mode: values.mode,
    accel: vm.accel,
    cached: !!vm.artifacts?.cached,
    prepareSeconds: 0,
    states: vm.tracker.events,
    sshPort: vm.sshPort,
    consoleLog: vm.consoleLog,
    failure: vm.tracker.failure,
    machine: vm.machine,
  };
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        {
          ...record,
          exec: exec ? { command: values.exec, exitCode: exec.exitCode, stdout: exec.stdout, stderr: exec.stderr } : undefined,
          steps: steps.length ? stepResults : undefined,
          error: failure,
          consoleTail: failure ? vm.consoleTail(20) : undefined,
        },
        null,
        2,
      ) + '\n',
    );
  } else if (record.systemdAnalyze) {
    err(`${record.systemdAnalyze.raw}\n`);
  }
  return exitCode;
}

interface Step {
  action: 'upgrade' | 'rollback';
  image?: string;
}

interface StepResult extends Step {
  booted?: string;
  bootedDigest?: string;
  rollback?: string;
  exec?: { exitCode: number; stdout: string; stderr: string };
}

function parseStep(v: string): Step {
  if (v === 'rollback') return { action: 'rollback' };
  const m = /^upgrade=(.+)$/.exec(v);
  if (m?.[1]) return { action: 'upgrade', image: m[1] };
  throw new UsageError(`--then ${v}: expected upgrade=IMAGE or rollback`);
}

/** One lifecycle step on the installed VM: bootc stages it, the VM reboots, bootc says what booted. */
async function runStep(
  vm: Vm,
  step: Step,
  exec: string | undefined,
  timeoutMs: number,
  podman: PodmanTarget & { log: (l: string) => void },
  signal: AbortSignal,
): Promise<StepResult> {
  if (step.image) await stageUpgrade(vm, { ...podman, image: step.image }, { signal });
  else await stageRollback(vm, { log: podman.log }, { signal });
  await vm.reboot(timeoutMs, signal);
  const st = await bootcStatusOf(vm, { signal });
  const out = exec ? await vm.ssh([exec], timeoutMs) : undefined;
  return { ...step, booted: st.booted?.image, bootedDigest: st.booted?.imageDigest, rollback: st.rollback?.image, exec: out };
}
