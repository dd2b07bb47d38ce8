import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { podmanGlobal } from '../podman/build';
import { imageExists, inspectImage, mountImage, preflight, unmountImage, type PodmanTarget } from '../podman/podman';
import { NotFoundError, describe, runChecked, type CommandSpec, type RunOptions } from '../process/run';
import { findFirmware, firmwareMissingMessage, type Firmware, type FirmwareSearch } from './firmware';
import { defaultCacheDir } from './prepare';
import { overlayCommand } from './qemu';
import { chooseInstallPlace, hostInstallGaps, installInVm, readHostKernelConfig, type HelperBoot, type InstallPlace } from './install-vm';
import { startSwtpm } from './tpm';

const GiB = 1024 ** 3;

/** Install mode reads the serial console (boot states, `--wait login`): the installed system must write to it. */
export const CONSOLE_KARG = 'console=ttyS0,115200';

/** Where `bootc upgrade` in the VM looks for new versions: the image's name in container storage. */
export const DEFAULT_TARGET_TRANSPORT = 'containers-storage';

export const ROOTLESS_MESSAGE =
  'Install mode needs rootful podman: `bootc install` refuses to run rootless and rootless podman cannot mount the image. ' +
  'Run as root (e.g. `sudo bootc-lab boot IMAGE --mode install`, with the image built by root), or point bootcLab.build.connection ' +
  '(--connection) at a rootful podman connection or rootful podman machine (`podman machine set --rootful`). Quick mode works rootless.';

/** What the image's `/usr/lib/bootc/install/*.toml` drop-ins say, merged in name order as bootc does. */
export interface InstallConfig {
  filesystem?: string;
  block?: string[];
  /** `[install] bootloader`: grub, systemd, grub-cc or none. */
  bootloader?: string;
}

export function parseInstallConfig(files: { name: string; text: string }[], arch = 'x86_64'): InstallConfig {
  const out: InstallConfig = {};
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    let doc: Record<string, unknown>;
    try {
      doc = parse(f.text);
    } catch {
      continue;
    }
    const install = doc.install as Record<string, unknown> | undefined;
    if (!install || typeof install !== 'object') continue;
    // bootc's keys are kebab-case; its man page spells this one with an underscore, so accept both.
    const archs = install['match-architectures'] ?? install.match_architectures;
    if (Array.isArray(archs) && !archs.includes(arch)) continue;
    const root = (install.filesystem as { root?: { type?: unknown } } | undefined)?.root?.type;
    const legacy = install['root-fs-type'];
    const fsType = typeof root === 'string' ? root : typeof legacy === 'string' ? legacy : undefined;
    if (fsType) out.filesystem = fsType;
    if (Array.isArray(install.block)) out.block = install.block.filter((b): b is string => typeof b === 'string');
    if (typeof install.bootloader === 'string') out.bootloader = install.bootloader;
  }
  return out;
}

/** The boot loader installers an image ships; bootc can only install with what the image has. */
export interface ImageBootloaders {
  /** `bootupctl`: what an ostree-backend install runs to put GRUB on the disk. */
  bootupd: boolean;
  /** systemd-boot's EFI binary, which a composefs-backend install copies with `bootctl`. */
  systemdBoot: boolean;
  /** A unified kernel image in /boot/EFI/Linux: bootc then always uses the composefs backend. */
  uki: boolean;
}

export const NO_BOOTLOADER_MESSAGE =
  'The image has neither bootupd (`bootupctl`) nor systemd-boot, so `bootc install` has no way to make the disk bootable: ' +
  'an ostree-backend install needs bootupd ("bootupd is required for ostree-based installs"), and the composefs backend needs systemd-boot. ' +
  'Debian and Ubuntu do not package bootupd: install systemd-boot and systemd-boot-efi in the image (bootc Lab then installs with ' +
  '`--composefs-backend --bootloader systemd`), or boot it in quick mode.';

/**
 * The backend flags bootc needs for this image. bootc defaults to the ostree backend, which bails
 * without bootupd, and only picks composefs by itself for UKIs; an image with systemd-boot and no
 * bootupd (every Debian/Ubuntu custom base) installs only with `--composefs-backend`.
 */
export function installBackendArgs(b: ImageBootloaders, config: InstallConfig): { args: string[]; note?: string } {
  if (b.bootupd || b.uki) return { args: [] };
  if (config.bootloader && config.bootloader !== 'systemd') return { args: [] };
  if (!b.systemdBoot) return { args: [], note: NO_BOOTLOADER_MESSAGE };
  const args = ['--composefs-backend', ...(config.bootloader ? [] : ['--bootloader', 'systemd'])];
  return {
    args,
    note: `The image has systemd-boot and no bootupd: installing with the composefs backend (${args.join(' ')}), as bootc's ostree backend needs bootupd.`,
  };
}

/** Adds what to do to bootc's own one-line failure when it is one we know. */
export function explainInstallFailure(message: string): string {
  if (/bootupd is required for ostree-based installs/.test(message)) return `${message}\n\n${NO_BOOTLOADER_MESSAGE}`;
  return message;
}

/**
 * `--filesystem` only when the image chooses none and the user asked: the image's own choice is
 * what bootc uses everywhere else, and forcing one fails on images without that mkfs.
 */
export function chooseFilesystem(imageFs: string | undefined, requested: string | undefined): { arg?: string; note?: string } {
  if (imageFs)
    return requested && requested !== imageFs
      ? { note: `The image's install config sets the root filesystem to ${imageFs}; the requested ${requested} is not used.` }
      : {};
  if (requested) return { arg: requested };
  return {
    note: 'The image sets no root filesystem in /usr/lib/bootc/install/*.toml and none was requested: if bootc reports that it has no default, set bootcLab.vm.filesystem (--filesystem).',
  };
}

/** The largest of twice the image, 10 GiB and what the user asked for (podman-bootc's rule), in whole GiB. */
export function installDiskBytes(imageBytes: number | undefined, requestedGb?: number): number {
  const twice = Math.ceil((2 * (imageBytes ?? 0)) / GiB) * GiB;
  return Math.max(twice, 10 * GiB, Math.ceil((requestedGb ?? 0) * GiB));
}

/** The kernel arguments of the installed system: the serial console first, then the user's. */
export function installKargs(userArgs: string[] = []): string[] {
  return [CONSOLE_KARG, ...userArgs.filter((a) => a !== CONSOLE_KARG)];
}

export interface InstallKeyOptions {
  filesystem?: string;
  diskBytes: number;
  kargs: string[];
  targetTransport: string;
  targetImgref: string;
}

/** Everything that changes the installed disk is in the key; v2 is the first layout with kargs and a target. */
export function installCacheKey(imageId: string, o: InstallKeyOptions): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(['install-v2', imageId, o.filesystem ?? '', o.diskBytes, o.kargs, o.targetTransport, o.targetImgref]))
    .digest('hex')
    .slice(0, 32);
}

export interface InstallCommandOptions extends PodmanTarget {
  image: string;
  /** Host directory for the disk; made absolute here, since podman reads `rel:/output` as a named volume. */
  outDir: string;
  diskName: string;
  filesystem?: string;
  kargs?: string[];
  targetTransport?: string;
  targetImgref?: string;
  /** Host container storage (podman info's graphRoot); bootc reads the image from it. */
  graphRoot?: string;
  rootSshKey?: string;
  /** Extra `podman run` arguments (e.g. `--runtime`), before the image. */
  runArgs?: string[];
  /** Extra `bootc install to-disk` arguments (the backend flags), before the disk. */
  installArgs?: string[];
}

/** `bootc install to-disk` in a privileged container of the image, writing a raw disk into `outDir`. */
export function installToDiskCommand(o: InstallCommandOptions): CommandSpec {
  const outDir = path.resolve(o.outDir);
  const args = [
    ...podmanGlobal(o),
    'run',
    '--rm',
    '--privileged',
    '--pid=host',
    '--ipc=host',
    // bootc refuses to install as anyone but uid 0, whatever the image's USER is.
    '--user',
    'root:root',
    '--security-opt',
    'label=type:unconfined_t',
    '-v',
    `${o.graphRoot ?? '/var/lib/containers/storage'}:/var/lib/containers/storage`,
    '-v',
    '/dev:/dev',
    '-v',
    `${outDir}:/output`,
    ...(o.rootSshKey ? ['-v', `${path.resolve(o.rootSshKey)}:/bootc-lab/authorized_keys:ro`] : []),
    // An image ENTRYPOINT would otherwise receive `bootc install …` as its arguments.
    '--entrypoint',
    'bootc',
    ...(o.runArgs ?? []),
    o.image,
    'install',
    'to-disk',
    ...bootcInstallOptions(o),
    `/output/${o.diskName}`,
  ];
  return { command: o.podmanPath ?? 'podman', args };
}

/** The `bootc install to-disk` options both routes pass (podman's loop device, or the install VM's disk). */
export function bootcInstallOptions(o: Omit<InstallCommandOptions, 'outDir' | 'diskName'>): string[] {
  return [
    '--via-loopback',
    '--generic-image',
    '--skip-fetch-check',
    ...(o.filesystem ? ['--filesystem', o.filesystem] : []),
    ...(o.kargs ?? []).flatMap((k) => ['--karg', k]),
    ...(o.targetImgref ? ['--target-transport', o.targetTransport ?? DEFAULT_TARGET_TRANSPORT, '--target-imgref', o.targetImgref] : []),
    ...(o.rootSshKey ? ['--root-ssh-authorized-keys', '/bootc-lab/authorized_keys'] : []),
    ...(o.installArgs ?? []),
  ];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Runs `fn` holding `<dir>/lock` (a file created exclusively, holding our pid). A lock whose
 * process is gone is taken over; otherwise this waits, so two first boots of one image install once.
 */
export async function withInstallLock<T>(
  dir: string,
  fn: () => Promise<T>,
  o: { signal?: AbortSignal; onWait?: () => void; pollMs?: number } = {},
): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, 'lock');
  let waited = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(lock, 'utf8').trim() || '0');
    if (holder && holder !== process.pid && !alive(holder)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (o.signal?.aborted) throw new Error('Cancelled');
    if (!waited) o.onWait?.();
    waited = true;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * The cached disk `<dir>/disk.raw`, made by `produce(tmpName)` under the lock: it writes a
 * temporary file that is renamed into place only when complete, so a crash or a concurrent
 * reader never sees half an install.
 */
export async function cachedInstallDisk(
  dir: string,
  produce: (tmpName: string) => Promise<void>,
  o: { signal?: AbortSignal; onWait?: () => void; pollMs?: number } = {},
): Promise<{ disk: string; cached: boolean }> {
  const disk = path.join(dir, 'disk.raw');
  if (fs.existsSync(disk)) return { disk, cached: true };
  return withInstallLock(
    dir,
    async () => {
      if (fs.existsSync(disk)) return { disk, cached: true };
      const tmpName = `disk.raw.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
      const tmp = path.join(dir, tmpName);
      try {
        await produce(tmpName);
        fs.renameSync(tmp, disk);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      return { disk, cached: false };
    },
    o,
  );
}

/** What install mode needs from inside the image, read through one mount. */
export async function readImageForInstall(
  t: PodmanTarget & { image: string },
  ro: RunOptions = {},
): Promise<{ hasBootc: boolean; config: InstallConfig; bootloaders: ImageBootloaders }> {
  const root = await mountImage(t, t.image, ro);
  try {
    const listing = (rel: string): string[] => {
      try {
        return fs.readdirSync(path.join(root, rel));
      } catch {
        return [];
      }
    };
    const exists = (rel: string): boolean => fs.existsSync(path.join(root, rel));
    // As bootc decides: bootupctl on the PATH and update payloads; a UKI in /boot/EFI/Linux.
    const bootloaders: ImageBootloaders = {
      bootupd: ['usr/bin/bootupctl', 'usr/sbin/bootupctl'].some(exists) && exists('usr/lib/bootupd/updates'),
      systemdBoot: listing('usr/lib/systemd/boot/efi').some((n) => /^systemd-boot\w*\.efi$/.test(n)),
      uki: listing('boot/EFI/Linux').some((n) => n.endsWith('.efi')),
    };
    const dir = path.join(root, 'usr/lib/bootc/install');
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.toml'));
    } catch {
      names = [];
    }
    const files = names.map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), 'utf8') }));
    return { hasBootc: exists('usr/bin/bootc'), config: parseInstallConfig(files), bootloaders };
  } finally {
    await unmountImage(t, t.image);
  }
}

/** The image can install itself: it ships /usr/bin/bootc. */
export async function imageHasBootc(t: PodmanTarget & { image: string }, ro: RunOptions = {}): Promise<boolean> {
  return (await readImageForInstall(t, ro)).hasBootc;
}

/** Pulls the image when this podman does not have it (e.g. a base image booted by name). */
export async function ensureImage(t: PodmanTarget & { image: string; log?: (s: string) => void }, ro: RunOptions = {}): Promise<void> {
  if (await imageExists(t, t.image)) return;
  t.log?.(`${t.image} is not in podman's storage: pulling it`);
  await runChecked({ command: t.podmanPath ?? 'podman', args: [...podmanGlobal(t), 'pull', t.image] }, { ...ro, onStderr: t.log });
}

export interface InstallArtifacts {
  imageId: string;
  baseDisk: string;
  overlay: string;
  firmware: Firmware;
  firmwareCode: string;
  firmwareVars: string;
  cached: boolean;
  /** The `podman run` that installed (or would have installed) the disk. */
  installCommand: CommandSpec;
  tpm?: { socket: string; pid: number };
}

export interface InstallBootOptions extends PodmanTarget {
  image: string;
  cacheDir?: string;
  /** At least this many GiB; the disk is never smaller than 10 GiB or twice the image. */
  diskSizeGb?: number;
  /** Root filesystem when the image's install config sets none. */
  filesystem?: string;
  firmware?: string;
  firmwareSearch?: FirmwareSearch;
  kernelArgs?: string[];
  /** Attach a software TPM; on by default when the image's install config defaults to tpm2-luks. */
  tpm?: boolean;
  /** Extra `podman run` arguments for the install container. */
  installRunArgs?: string[];
  /** Where bootc install runs: a privileged podman container (loop device), or a VM of the image; `auto` picks. */
  installIn?: 'auto' | InstallPlace;
  /** Boots the install VM; Vm supplies it (this module cannot import Vm). */
  helperBoot?: HelperBoot;
  /** The host kernel's config text, for tests; read from /proc/config.gz otherwise. */
  hostKernelConfig?: string;
  targetTransport?: string;
  runDir: string;
  log?: (s: string) => void;
}

/**
 * The faithful path: `bootc install to-disk --via-loopback --generic-image` in a privileged
 * container of the image, cached by image ID and options; each boot gets a qcow2 overlay and its
 * own copy of the UEFI variables, so the installed disk is reused untouched.
 */
export async function prepareInstallBoot(t: InstallBootOptions, ro: RunOptions = {}): Promise<InstallArtifacts> {
  const fw = findFirmware(t.firmware, t.firmwareSearch);
  if (!fw) throw new Error(firmwareMissingMessage(t.firmware));
  t.log?.(`UEFI firmware: ${fw.code} (variables ${fw.vars}, ${fw.codeFormat}; from ${fw.source})`);
  const pf = await preflight(t, { minFreeBytes: 0 }, ro);
  if (pf.errors.length) throw new Error(pf.errors.join('\n'));
  if (pf.rootless) throw new Error(ROOTLESS_MESSAGE);
  await ensureImage(t, ro);
  const img = await readImageForInstall(t, ro);
  if (!img.hasBootc)
    throw new Error(`${t.image} does not contain bootc, so it cannot install itself. Use quick boot, or build FROM a bootc base image.`);
  const inspect = await inspectImage(t, t.image, ro);
  const fsChoice = chooseFilesystem(img.config.filesystem, t.filesystem);
  if (fsChoice.note) t.log?.(fsChoice.note);
  const backend = installBackendArgs(img.bootloaders, img.config);
  const where = chooseInstallPlace(t.installIn, hostInstallGaps(t.hostKernelConfig ?? readHostKernelConfig()));
  const diskBytes = installDiskBytes(inspect.Size, t.diskSizeGb);
  const kargs = installKargs(t.kernelArgs);
  const targetTransport = t.targetTransport ?? DEFAULT_TARGET_TRANSPORT;
  const key = installCacheKey(inspect.Id, { filesystem: fsChoice.arg, diskBytes, kargs, targetTransport, targetImgref: t.image });
  const dir = path.join(path.resolve(t.cacheDir ?? defaultCacheDir()), `install-${key}`);
  const installOptions = { filesystem: fsChoice.arg, kargs, targetTransport, targetImgref: t.image, installArgs: backend.args };
  let installCommand: CommandSpec = installToDiskCommand({
    ...t,
    ...installOptions,
    outDir: dir,
    diskName: 'disk.raw',
    graphRoot: pf.graphRoot || undefined,
    runArgs: t.installRunArgs,
  });
  const { disk: baseDisk, cached } = await cachedInstallDisk(
    dir,
    async (tmpName) => {
      const tmp = path.join(dir, tmpName);
      // A sparse file of the disk size; bootc partitions and fills it through a loop device.
      fs.closeSync(fs.openSync(tmp, 'w'));
      fs.truncateSync(tmp, diskBytes);
      installCommand = { ...installCommand, args: [...installCommand.args.slice(0, -1), `/output/${tmpName}`] };
      t.log?.(`Installing ${t.image} to a ${diskBytes / GiB} GiB disk with bootc install to-disk (cached afterwards)`);
      if (backend.note) t.log?.(backend.note);
      if (where.note) t.log?.(where.note);
      try {
        if (where.place === 'vm') {
          if (!t.helperBoot)
            throw new Error(
              `${where.note ?? 'The install is set to run inside a VM.'} This backend cannot boot that VM: boot the image once with the QEMU backend (bootcLab.vm.backend: qemu, or bootc-lab boot without --backend libvirt), which caches the installed disk for this one, or install through podman on a host whose kernel can (vm.installIn: podman).`,
            );
          const options = bootcInstallOptions({ ...t, ...installOptions });
          await installInVm(t, { targetRaw: tmp, workDir: `${tmp}.vm`, installArgs: options, boot: t.helperBoot }, ro);
        } else {
          t.log?.(`$ ${describe(installCommand)}`);
          await runChecked(installCommand, { ...ro, onStderr: (l) => t.log?.(l) });
        }
      } catch (e) {
        if (e instanceof Error) e.message = explainInstallFailure(e.message);
        throw e;
      }
    },
    { signal: ro.signal, onWait: () => t.log?.(`Waiting for another install of ${t.image} to the same cache entry to finish`) },
  );
  const runDir = path.resolve(t.runDir);
  const overlay = path.join(runDir, 'overlay.qcow2');
  try {
    await runChecked(overlayCommand({ base: baseDisk, baseFormat: 'raw', overlay }), ro);
  } catch (e) {
    if (e instanceof NotFoundError) throw new Error('qemu-img was not found: install qemu-utils (Debian/Ubuntu) or qemu-img (Fedora).');
    throw e;
  }
  const vars = path.join(runDir, `OVMF_VARS.${fw.varsFormat === 'qcow2' ? 'qcow2' : 'fd'}`);
  fs.copyFileSync(fw.vars, vars);
  const wantTpm = t.tpm ?? img.config.block?.[0] === 'tpm2-luks';
  if (wantTpm && t.tpm === undefined) t.log?.('The image installs with tpm2-luks by default: attaching a software TPM (swtpm)');
  const tpm = wantTpm ? await startSwtpm(runDir) : undefined;
  return { imageId: inspect.Id, baseDisk, overlay, firmware: fw, firmwareCode: fw.code, firmwareVars: vars, cached, installCommand, tpm };
}
