import { parseArgs } from 'node:util';
import type { CloudInitFiles } from '../../core/src/vm/cloud-init';
import {
  DEFAULT_URI,
  LibvirtError,
  defineDomain,
  findDomain,
  listDomains,
  removeDomain,
  stopDomain,
  LibvirtVm,
} from '../../core/src/vm/libvirt';
import { CliError, UsageError, interruptible } from './image-commands';

const err = (s: string): boolean => process.stderr.write(s);

export interface LibvirtBootArgs {
  image: string;
  mode: 'quick' | 'install';
  name?: string;
  connect?: string;
  detach: boolean;
  wait: 'login' | 'ssh';
  exec?: string;
  timeoutMs: number;
  memoryMb: number;
  cpus: number;
  kvm: 'auto' | 'on' | 'off';
  cacheDir?: string;
  kernelArgs: string[];
  cloudInit?: CloudInitFiles;
  podmanPath?: string;
  json: boolean;
}

/**
 * `boot --backend libvirt`: defines a persistent domain and starts it. With --detach the command
 * returns once SSH answers and the domain keeps running; without it, the domain is shut down at
 * the end but stays defined (bootc-lab vm start NAME boots it again).
 */
export async function libvirtBoot(a: LibvirtBootArgs): Promise<number> {
  const uri = a.connect ?? DEFAULT_URI;
  const log = (l: string): void => {
    if (!a.json) err(`${l}\n`);
  };
  const wait = a.detach ? 'ssh' : a.wait;
  const ac = interruptible(false);
  let vm: LibvirtVm | undefined;
  let exitCode = 1;
  let exec: { exitCode: number; stdout: string; stderr: string } | undefined;
  let failure: string | undefined;
  const t0 = Date.now();
  try {
    vm = await defineDomain(
      {
        image: a.image,
        name: a.name,
        uri,
        mode: a.mode,
        memoryMb: a.memoryMb,
        cpus: a.cpus,
        kvm: a.kvm,
        cacheDir: a.cacheDir,
        kernelArgs: a.kernelArgs,
        cloudInit: a.cloudInit,
        podmanPath: a.podmanPath,
        log,
      },
      { signal: ac.signal },
    );
    await vm.start({ signal: ac.signal });
    await vm.waitFor(wait, a.timeoutMs, (s, at) => log(`[${at.toFixed(1)} s] ${s}`), ac.signal);
    if (a.exec) {
      exec = await vm.ssh([a.exec], a.timeoutMs);
      if (!a.json) {
        process.stdout.write(exec.stdout);
        err(exec.stderr);
      }
      exitCode = exec.exitCode;
    } else exitCode = 0;
  } catch (e) {
    failure = (e as Error).message;
    if (!a.json) err(`bootc-lab: ${failure}\n`);
    exitCode = 1;
  } finally {
    ac.release();
  }
  if (vm && !a.detach) await stopDomain(uri, vm.name, { graceMs: 30_000 }).catch((e: Error) => log(`bootc-lab: ${e.message}`));
  if (vm && a.detach && !failure) {
    log(`${vm.name} keeps running on ${uri}. SSH: ${vm.sshCommandLine().join(' ')}`);
    log(
      `Console: virsh -c ${uri} console ${vm.name} (log: ${vm.meta.consoleLog}). Stop: bootc-lab vm stop ${vm.name}. Remove: bootc-lab vm rm ${vm.name}`,
    );
  }
  if (a.json)
    process.stdout.write(
      `${JSON.stringify(
        {
          backend: 'libvirt',
          uri,
          name: vm?.name,
          image: a.image,
          mode: a.mode,
          detached: a.detach && !failure,
          seconds: (Date.now() - t0) / 1000,
          states: vm?.tracker.events ?? [],
          sshPort: vm?.meta.sshPort,
          privateKey: vm?.meta.privateKey,
          consoleLog: vm?.meta.consoleLog,
          exec: exec ? { command: a.exec, ...exec } : undefined,
          error: failure,
          consoleTail: failure ? vm?.consoleTail(20) : undefined,
        },
        null,
        2,
      )}\n`,
    );
  return exitCode;
}

/** `bootc-lab vm list|start|stop|rm|ssh [NAME] [--connect URI]`: bootc Lab's libvirt domains only. */
export async function vmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      connect: { type: 'string', default: DEFAULT_URI },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '300' },
    },
  });
  const [sub, name, ...rest] = positionals;
  const uri = values.connect;
  const needName = (): string => {
    if (!name || rest.length) throw new UsageError(`vm ${sub ?? ''} needs exactly one NAME`);
    return name;
  };
  try {
    switch (sub) {
      case 'list': {
        const doms = await listDomains(uri);
        if (values.json) process.stdout.write(`${JSON.stringify(doms, null, 2)}\n`);
        else if (doms.length === 0) err(`No bootc Lab VMs on ${uri}.\n`);
        else
          for (const d of doms)
            process.stdout.write(`${d.name}\t${d.state}\t${d.meta.image}\t${d.meta.mode}\tssh 127.0.0.1:${d.meta.sshPort}\n`);
        return 0;
      }
      case 'start': {
        const d = await findDomain(uri, needName());
        const vm = new LibvirtVm(d.name, uri, d.meta);
        await vm.start();
        await vm.waitFor('ssh', Number(values.timeout) * 1000, (s, at) => err(`[${at.toFixed(1)} s] ${s}\n`));
        err(`SSH: ${vm.sshCommandLine().join(' ')}\n`);
        return 0;
      }
      case 'stop':
        await stopDomain(uri, needName());
        return 0;
      case 'rm':
        for (const dir of await removeDomain(uri, needName())) err(`removed ${dir}\n`);
        return 0;
      case 'ssh': {
        const d = await findDomain(uri, needName());
        process.stdout.write(`${new LibvirtVm(d.name, uri, d.meta).sshCommandLine().join(' ')}\n`);
        return 0;
      }
      default:
        throw new UsageError('vm: expected list, start NAME, stop NAME, rm NAME or ssh NAME');
    }
  } catch (e) {
    if (e instanceof LibvirtError) throw new CliError(e.message);
    throw e;
  }
}
