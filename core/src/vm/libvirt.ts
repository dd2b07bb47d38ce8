import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NotFoundError, ProcessError, run, runChecked, type RunOptions, type RunResult } from '../process/run';
import { ANSI, BootStateTracker, BOOT_STATES, type BootState } from './boot-states';
import { makeSeedImage, type CloudInitFiles } from './cloud-init';
import { prepareInstallBoot } from './install';
import { freePort, makeSshKey, prepareQuickBoot } from './prepare';
import { kvmUsable, quickAppend, sshKeyTmpfiles } from './qemu';
import type { PodmanTarget } from '../podman/podman';

/** The XML namespace of bootc Lab's `<metadata>` element: it marks the domains bootc Lab made and may delete. */
export const METADATA_NS = 'https://bootc-lab.dev/xmlns/libvirt/1';
export const DEFAULT_URI = 'qemu:///system';

/** What bootc Lab records in a domain: enough to reach it over SSH and to clean up after it. */
export interface DomainMeta {
  image: string;
  imageId: string;
  mode: 'quick' | 'install';
  sshPort: number;
  /** The directory bootc Lab made for the domain (disk, kernel, console log, SSH key); `vm rm` deletes it. */
  dir: string;
  consoleLog: string;
  privateKey: string;
  created: string;
}

export interface DomainSpec {
  name: string;
  kvm: boolean;
  memoryMb: number;
  cpus: number;
  meta: DomainMeta;
  disk: { path: string; format: 'qcow2' | 'raw' };
  /** Quick mode: direct kernel boot of the image's kernel and initramfs. */
  direct?: { kernel: string; initrd: string; cmdline: string };
  /** Install mode: UEFI with a per-domain copy of the variables. */
  uefi?: { code: string; varsTemplate: string; vars: string };
  seedImage?: string;
  /** systemd credentials (SMBIOS type 11 OEM strings). */
  credentials?: Record<string, string>;
}

function x(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function unx(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Names go into paths and virsh argv: keep them to what libvirt and a file name both accept. */
export function validDomainName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name);
}

/** A default domain name from the image reference: `bootc-lab-<repo>-<tag>`. */
export function defaultDomainName(image: string): string {
  const last = image.split('/').pop() ?? image;
  const base = last
    .replace(/[@:]/g, '-')
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 40);
  return `bootc-lab-${base}`.replace(/-+$/, '');
}

/**
 * The domain XML. libvirt 9.0 (Debian 12) accepts `<interface type='user'>` with `<portForward>` but
 * applies port forwards only with the passt backend; with the default SLIRP backend it silently drops
 * them (checked: the started QEMU had `-netdev user` with no hostfwd). So the user-mode NIC with its
 * 127.0.0.1-only forward goes through `<qemu:commandline>`, which every libvirt version honours.
 */
export function domainXml(d: DomainSpec): string {
  const m = d.meta;
  const lines: string[] = [];
  lines.push(`<domain type='${d.kvm ? 'kvm' : 'qemu'}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>`);
  lines.push(`  <name>${x(d.name)}</name>`);
  lines.push(`  <title>bootc Lab: ${x(m.image)}</title>`);
  lines.push('  <metadata>');
  lines.push(`    <bootc-lab:vm xmlns:bootc-lab='${METADATA_NS}'>`);
  for (const [k, v] of Object.entries(m)) lines.push(`      <bootc-lab:${k}>${x(String(v))}</bootc-lab:${k}>`);
  lines.push('    </bootc-lab:vm>');
  lines.push('  </metadata>');
  lines.push(`  <memory unit='MiB'>${d.memoryMb}</memory>`);
  lines.push(`  <vcpu>${d.cpus}</vcpu>`);
  const creds = Object.entries(d.credentials ?? {});
  if (creds.length) {
    // systemd reads credentials from SMBIOS type 11 OEM strings, which is what `-smbios type=11` sets.
    lines.push("  <sysinfo type='smbios'>", '    <oemStrings>');
    for (const [name, value] of creds)
      lines.push(`      <entry>io.systemd.credential.binary:${x(name)}=${Buffer.from(value, 'utf8').toString('base64')}</entry>`);
    lines.push('    </oemStrings>', '  </sysinfo>');
  }
  lines.push('  <os>');
  lines.push("    <type arch='x86_64' machine='q35'>hvm</type>");
  if (d.uefi) {
    lines.push(`    <loader readonly='yes' type='pflash'>${x(d.uefi.code)}</loader>`);
    lines.push(`    <nvram template='${x(d.uefi.varsTemplate)}'>${x(d.uefi.vars)}</nvram>`);
    lines.push("    <boot dev='hd'/>");
  }
  if (d.direct) {
    lines.push(`    <kernel>${x(d.direct.kernel)}</kernel>`);
    lines.push(`    <initrd>${x(d.direct.initrd)}</initrd>`);
    lines.push(`    <cmdline>${x(d.direct.cmdline)}</cmdline>`);
  }
  if (creds.length) lines.push("    <smbios mode='sysinfo'/>");
  lines.push('  </os>');
  lines.push('  <features><acpi/><apic/></features>');
  lines.push(d.kvm ? "  <cpu mode='host-passthrough'/>" : "  <cpu mode='maximum'/>");
  lines.push('  <on_poweroff>destroy</on_poweroff>', '  <on_reboot>restart</on_reboot>', '  <on_crash>destroy</on_crash>');
  lines.push('  <devices>');
  lines.push("    <disk type='file' device='disk'>");
  lines.push(`      <driver name='qemu' type='${d.disk.format}'/>`);
  lines.push(`      <source file='${x(d.disk.path)}'/>`);
  lines.push("      <target dev='vda' bus='virtio'/>");
  lines.push('    </disk>');
  if (d.seedImage) {
    lines.push("    <disk type='file' device='disk'>", "      <driver name='qemu' type='raw'/>");
    lines.push(`      <source file='${x(d.seedImage)}'/>`, "      <target dev='vdb' bus='virtio'/>", '      <readonly/>', '    </disk>');
  }
  // A pty for `virsh console`, logged to a file (by virtlogd) that survives the editor and the CLI.
  lines.push("    <serial type='pty'>");
  lines.push(`      <log file='${x(m.consoleLog)}' append='off'/>`);
  lines.push("      <target port='0'/>");
  lines.push('    </serial>');
  lines.push("    <console type='pty'><target type='serial' port='0'/></console>");
  lines.push("    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>");
  lines.push('  </devices>');
  lines.push('  <qemu:commandline>');
  for (const a of [
    '-netdev',
    `user,id=bootclab0,hostfwd=tcp:127.0.0.1:${m.sshPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=bootclab0,bus=pcie.0,addr=0x14',
  ])
    lines.push(`    <qemu:arg value='${x(a)}'/>`);
  lines.push('  </qemu:commandline>');
  lines.push('</domain>');
  return `${lines.join('\n')}\n`;
}

/**
 * Reads bootc Lab's metadata back. `virsh metadata NAME NS` prints the element for that namespace
 * with the namespace stripped (`<vm>…</vm>`), so the query, not the text, says it is ours; in a
 * full `virsh dumpxml` the element must carry the namespace.
 */
export function parseMeta(xml: string): DomainMeta | undefined {
  const block = xml.trimStart().startsWith('<vm>')
    ? /^\s*<()vm>([\s\S]*?)<\/vm>/.exec(xml)
    : /<([\w-]+:)?vm\b[^>]*xmlns(?::[\w-]+)?=["']https:\/\/bootc-lab\.dev\/xmlns\/libvirt\/1["'][^>]*>([\s\S]*?)<\/\1?vm>/.exec(xml);
  if (!block) return undefined;
  const get = (k: string): string | undefined => {
    const r = new RegExp(`<(?:[\\w-]+:)?${k}>([\\s\\S]*?)</(?:[\\w-]+:)?${k}>`).exec(block[2] ?? '');
    return r ? unx(r[1] ?? '') : undefined;
  };
  const dir = get('dir');
  const image = get('image');
  if (!dir || !image) return undefined;
  const mode = get('mode') === 'install' ? 'install' : 'quick';
  return {
    image,
    imageId: get('imageId') ?? '',
    mode,
    sshPort: Number(get('sshPort') ?? 0),
    dir,
    consoleLog: get('consoleLog') ?? path.join(dir, 'console.log'),
    privateKey: get('privateKey') ?? path.join(dir, 'ssh', 'id_ed25519'),
    created: get('created') ?? '',
  };
}

/** libvirt's failures, turned into what the user should do. */
export class LibvirtError extends Error {}

export function explainVirshFailure(stderr: string, uri: string): string {
  const s = stderr.trim();
  if (/Permission denied|authentication unavailable|access denied|not authorized|polkit/i.test(s))
    return `You may not manage VMs on ${uri}: add yourself to the libvirt group ("sudo usermod -aG libvirt $USER", then log in again), or use --connect qemu:///session.\n${s}`;
  if (/Failed to connect socket|No such file or directory.*sock|libvirt-sock|virtqemud-sock|Connection refused/i.test(s))
    return `libvirt is not running (cannot connect to ${uri}): start it with "sudo systemctl start libvirtd" (or virtqemud.socket); without systemd, run "virtlogd -d" and then "libvirtd -d" as root.\n${s}`;
  return s;
}

/** Runs virsh against `uri`; failures become a `LibvirtError` that says what to do. */
export async function virsh(uri: string, args: string[], ro: RunOptions & { virshPath?: string } = {}): Promise<RunResult> {
  try {
    return await runChecked({ command: ro.virshPath ?? 'virsh', args: ['-q', '-c', uri, ...args] }, ro);
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new LibvirtError(
        'virsh was not found: install libvirt (Debian/Ubuntu: sudo apt-get install libvirt-clients libvirt-daemon-system; Fedora: sudo dnf install libvirt).',
      );
    if (e instanceof ProcessError) throw new LibvirtError(explainVirshFailure(e.stderr, uri));
    throw e;
  }
}

/** Where a domain's files go: a directory the qemu user can reach for qemu:///system as root; the user's data dir otherwise. */
export function defaultStorageDir(uri: string): string {
  if (uri.startsWith('qemu:///system') && process.getuid?.() === 0) return '/var/lib/libvirt/images/bootc-lab';
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'bootc-lab', 'libvirt');
}

/** The marker in every directory bootc Lab made for a domain: `rm` deletes only directories that carry it. */
const MARKER = '.bootc-lab-domain';

export interface LibvirtBootOptions extends PodmanTarget {
  image: string;
  name?: string;
  uri?: string;
  mode?: 'quick' | 'install';
  memoryMb?: number;
  cpus?: number;
  kvm?: 'auto' | 'on' | 'off';
  cacheDir?: string;
  storageDir?: string;
  firmware?: string;
  kernelArgs?: string[];
  cloudInit?: CloudInitFiles;
  virshPath?: string;
  log?: (line: string) => void;
}

/** One libvirt domain made by bootc Lab, as `vm list` shows it. */
export interface LabDomain {
  name: string;
  state: string;
  meta: DomainMeta;
}

/**
 * Defines a persistent domain from the same artifacts as quick or install boot and starts it.
 * The domain gets its own copy of the disk (the cache is in the user's home, which the qemu user
 * cannot read, and a persistent VM keeps its writes anyway).
 */
export async function defineDomain(o: LibvirtBootOptions, ro: RunOptions = {}): Promise<LibvirtVm> {
  const uri = o.uri ?? DEFAULT_URI;
  const name = o.name ?? defaultDomainName(o.image);
  if (!validDomainName(name)) throw new LibvirtError(`--name ${name}: use letters, digits, '.', '_' and '-' (at most 64)`);
  // Reach libvirt first: a stopped daemon should be reported before minutes of disk preparation.
  const existing = await virsh(uri, ['list', '--all', '--name'], ro);
  if (existing.stdout.split('\n').some((l) => l.trim() === name))
    throw new LibvirtError(`A domain named ${name} already exists on ${uri}: pick another --name, or remove it (bootc-lab vm rm ${name}).`);
  const kvm = o.kvm === 'off' ? false : o.kvm === 'on' ? true : kvmUsable().usable;
  const dir = path.join(o.storageDir ?? defaultStorageDir(uri), name);
  if (fs.existsSync(dir)) throw new LibvirtError(`${dir} already exists: remove it, or pick another --name.`);
  fs.mkdirSync(dir, { recursive: true });
  // The qemu user must traverse the directory to open the disk; the SSH key below stays 0600.
  fs.chmodSync(dir, 0o711);
  fs.writeFileSync(path.join(dir, MARKER), `${name}\n`);
  try {
    const mode = o.mode ?? 'quick';
    const disk = path.join(dir, 'disk.qcow2');
    let imageId: string;
    let direct: DomainSpec['direct'];
    let uefi: DomainSpec['uefi'];
    if (mode === 'install') {
      const inst = await prepareInstallBoot({ ...o, runDir: dir, log: o.log }, ro);
      imageId = inst.imageId;
      fs.rmSync(inst.overlay, { force: true });
      fs.rmSync(inst.firmwareVars, { force: true });
      o.log?.('Copying the installed disk for the domain');
      await qemuImgConvert(inst.baseDisk, 'raw', disk, ro);
      uefi = { code: inst.firmwareCode, varsTemplate: inst.firmwareCode.replace(/CODE/, 'VARS'), vars: path.join(dir, 'OVMF_VARS.fd') };
    } else {
      const art = await prepareQuickBoot({ ...o, log: o.log }, ro);
      imageId = art.imageId;
      fs.copyFileSync(art.kernel, path.join(dir, 'vmlinuz'));
      fs.copyFileSync(art.initrd, path.join(dir, 'initramfs.img'));
      o.log?.('Copying the root disk for the domain');
      await qemuImgConvert(art.rootDisk, 'raw', disk, ro);
      // A persistent VM reboots: no panic=-1 reboot loop, and systemd may reboot it normally.
      direct = { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initramfs.img'), cmdline: quickAppend(o.kernelArgs) };
    }
    const key = await makeSshKey(path.join(dir, 'ssh'), ro);
    const seed = o.cloudInit ? await makeSeedImage(o.cloudInit, dir, name, ro) : undefined;
    const meta: DomainMeta = {
      image: o.image,
      imageId,
      mode,
      sshPort: await freePort(),
      dir,
      consoleLog: path.join(dir, 'console.log'),
      privateKey: key.privateKey,
      created: new Date().toISOString(),
    };
    const xml = domainXml({
      name,
      kvm,
      memoryMb: o.memoryMb ?? 2048,
      cpus: o.cpus ?? Math.min(4, os.cpus().length),
      meta,
      disk: { path: disk, format: 'qcow2' },
      direct,
      uefi,
      seedImage: seed,
      credentials: { 'tmpfiles.extra': sshKeyTmpfiles(key.publicKey) },
    });
    const file = path.join(dir, 'domain.xml');
    fs.writeFileSync(file, xml);
    await virsh(uri, ['define', file], { ...ro, virshPath: o.virshPath });
    o.log?.(`Defined libvirt domain ${name} on ${uri} (files in ${dir})`);
    return new LibvirtVm(name, uri, meta, o.virshPath);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function qemuImgConvert(src: string, srcFormat: 'raw' | 'qcow2', dst: string, ro: RunOptions): Promise<void> {
  try {
    await runChecked({ command: 'qemu-img', args: ['convert', '-f', srcFormat, '-O', 'qcow2', src, dst] }, ro);
  } catch (e) {
    if (e instanceof NotFoundError) throw new Error('qemu-img was not found: install qemu-utils (Debian/Ubuntu) or qemu-img (Fedora).');
    throw e;
  }
}

/** bootc Lab's domains on `uri` (others are never listed, so never stopped or removed by us). */
export async function listDomains(uri = DEFAULT_URI, ro: RunOptions & { virshPath?: string } = {}): Promise<LabDomain[]> {
  const names = (await virsh(uri, ['list', '--all', '--name'], ro)).stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const out: LabDomain[] = [];
  for (const name of names) {
    const md = await run({ command: ro.virshPath ?? 'virsh', args: ['-q', '-c', uri, 'metadata', name, METADATA_NS] }, ro);
    const meta = md.exitCode === 0 ? parseMeta(md.stdout) : undefined;
    if (!meta) continue;
    const st = await run({ command: ro.virshPath ?? 'virsh', args: ['-q', '-c', uri, 'domstate', name] }, ro);
    out.push({ name, state: st.exitCode === 0 ? st.stdout.trim() : 'unknown', meta });
  }
  return out;
}

export async function findDomain(uri: string, name: string, ro: RunOptions & { virshPath?: string } = {}): Promise<LabDomain> {
  const d = (await listDomains(uri, ro)).find((v) => v.name === name);
  if (!d)
    throw new LibvirtError(
      `No bootc Lab domain named ${name} on ${uri} (bootc-lab vm list shows them; domains bootc Lab did not make are left alone).`,
    );
  return d;
}

/** Asks the guest to power off (ACPI), then destroys the domain if it is still running after `graceMs`. */
export async function stopDomain(uri: string, name: string, ro: RunOptions & { virshPath?: string; graceMs?: number } = {}): Promise<void> {
  const d = await findDomain(uri, name, ro);
  if (d.state !== 'running' && d.state !== 'paused') return;
  // A minimal image often has nothing listening for the ACPI power button: ask systemd over SSH too.
  await new LibvirtVm(name, uri, d.meta, ro.virshPath).ssh(['systemctl', 'poweroff'], 10_000).catch(() => undefined);
  await virsh(uri, ['shutdown', name], ro).catch(() => undefined);
  const deadline = Date.now() + (ro.graceMs ?? 30_000);
  while (Date.now() < deadline) {
    const st = await run({ command: ro.virshPath ?? 'virsh', args: ['-q', '-c', uri, 'domstate', name] }, ro);
    if (st.stdout.trim() === 'shut off') return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await virsh(uri, ['destroy', name], ro);
}

/** Undefines the domain and deletes the directory bootc Lab made for it (only if it carries the marker). */
export async function removeDomain(uri: string, name: string, ro: RunOptions & { virshPath?: string } = {}): Promise<string[]> {
  const d = await findDomain(uri, name, ro);
  if (d.state !== 'shut off') await virsh(uri, ['destroy', name], ro).catch(() => undefined);
  await virsh(uri, ['undefine', name, ...(d.meta.mode === 'install' ? ['--nvram'] : [])], ro);
  const removed: string[] = [];
  if (fs.existsSync(path.join(d.meta.dir, MARKER))) {
    fs.rmSync(d.meta.dir, { recursive: true, force: true });
    removed.push(d.meta.dir);
  }
  return removed;
}

const SSH_OPTS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5'];

/** A bootc Lab domain: start it, follow its console log to SSH, run commands in it. */
export class LibvirtVm {
  readonly tracker: BootStateTracker;
  startedAt = 0;
  private logOffset = 0;

  constructor(
    readonly name: string,
    readonly uri: string,
    readonly meta: DomainMeta,
    private readonly virshPath?: string,
  ) {
    this.tracker = new BootStateTracker(() => (this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0));
  }

  async start(ro: RunOptions = {}): Promise<void> {
    this.startedAt = Date.now();
    this.logOffset = 0;
    await virsh(this.uri, ['start', this.name], { ...ro, virshPath: this.virshPath });
  }

  ssh(command: string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(
      {
        command: 'ssh',
        args: [
          ...SSH_OPTS,
          '-o',
          'BatchMode=yes',
          '-i',
          this.meta.privateKey,
          '-p',
          String(this.meta.sshPort),
          'root@127.0.0.1',
          '--',
          ...command,
        ],
      },
      { timeoutMs },
    );
  }

  sshCommandLine(): string[] {
    return ['ssh', ...SSH_OPTS, '-i', this.meta.privateKey, '-p', String(this.meta.sshPort), 'root@127.0.0.1'];
  }

  private readLog(): void {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.meta.consoleLog, 'r');
      const size = fs.fstatSync(fd).size;
      if (size <= this.logOffset) return;
      const buf = Buffer.alloc(size - this.logOffset);
      fs.readSync(fd, buf, 0, buf.length, this.logOffset);
      this.logOffset = size;
      this.tracker.feed(buf.toString('utf8'));
    } catch {
      // not written yet
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  consoleTail(lines: number): string {
    try {
      return fs
        .readFileSync(this.meta.consoleLog, 'utf8')
        .replace(ANSI, '')
        .replace(/\r/g, '')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '';
    }
  }

  /** Follows the console log and probes SSH until `state`; rejects on a console failure, a stopped domain or the timeout. */
  async waitFor(
    state: 'login' | 'ssh',
    timeoutMs: number,
    onState?: (s: BootState, at: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    const report = (): void => {
      for (; seen < this.tracker.events.length; seen++) {
        const e = this.tracker.events[seen];
        if (e) onState?.(e.state, e.at);
      }
    };
    const reached = (): boolean => this.tracker.events.some((e) => BOOT_STATES.indexOf(e.state as never) >= BOOT_STATES.indexOf(state));
    let lastProbe = 0;
    for (;;) {
      if (signal?.aborted) throw new Error('Cancelled');
      this.readLog();
      report();
      if (reached()) return;
      if (this.tracker.failure) throw new LibvirtError(`Boot failed: ${this.tracker.failure}\n${this.consoleTail(15)}`);
      if (Date.now() - lastProbe > 3000) {
        lastProbe = Date.now();
        const st = await run({ command: this.virshPath ?? 'virsh', args: ['-q', '-c', this.uri, 'domstate', this.name] });
        if (st.exitCode === 0 && st.stdout.trim() !== 'running')
          throw new LibvirtError(`The domain ${this.name} is ${st.stdout.trim()} before ${state}.\n${this.consoleTail(15)}`);
        if (state === 'ssh' && BOOT_STATES.indexOf(this.tracker.state as never) >= BOOT_STATES.indexOf('switch-root')) {
          const r = await this.ssh(['true'], 10_000).catch(() => undefined);
          if (r?.exitCode === 0) {
            this.readLog();
            this.tracker.sshReady();
            report();
            return;
          }
        }
      }
      if (Date.now() > deadline)
        throw new LibvirtError(
          `The domain ${this.name} did not reach ${state} within ${Math.round(timeoutMs / 1000)} s (last state: ${this.tracker.state}). Last console lines:\n${this.consoleTail(15)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
