import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { podmanGlobal } from '../podman/build';
import type { PodmanTarget } from '../podman/podman';
import { NotFoundError, runChecked, tail, type RunOptions } from '../process/run';
import { shQuote } from '../process/sh-quote';
import { remoteShellCommand } from './bootc-remote';

/**
 * Install mode's second way to run `bootc install to-disk`: inside a quick-mode VM of the image itself,
 * onto a virtio disk, with the image handed over as an OCI archive (what bcvk does). It needs no loop
 * devices, no partition support and no vfat in the host kernel, and no privileged container.
 */

export type InstallPlace = 'podman' | 'vm';

/** Serial numbers of the helper VM's extra disks; the guest finds them under /dev/disk/by-id. */
export const SOURCE_SERIAL = 'bootclabsrc';
export const TARGET_SERIAL = 'bootclabtarget';
const ARCHIVE = 'image.ociarchive';
const SOURCE_MOUNT = '/run/bootc-lab-src';

/**
 * What the host kernel lacks for a loop-device install (bootc partitions the loop device with GPT
 * and formats an EFI system partition as vfat), read from its config when the kernel publishes one.
 */
export function hostInstallGaps(configText: string | undefined): string[] {
  if (!configText) return [];
  const off = (opt: string) => new RegExp(`^# ${opt} is not set$`, 'm').test(configText);
  const gaps: string[] = [];
  if (off('CONFIG_EFI_PARTITION')) gaps.push('GPT partitions (CONFIG_EFI_PARTITION)');
  if (off('CONFIG_VFAT_FS')) gaps.push('vfat (CONFIG_VFAT_FS)');
  if (off('CONFIG_BLK_DEV_LOOP')) gaps.push('loop devices (CONFIG_BLK_DEV_LOOP)');
  return gaps;
}

export function readHostKernelConfig(file = '/proc/config.gz'): string | undefined {
  try {
    return zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  } catch {
    return undefined;
  }
}

/** `auto` installs through podman unless this host's kernel cannot; the choice is always said. */
export function chooseInstallPlace(setting: 'auto' | InstallPlace | undefined, gaps: string[]): { place: InstallPlace; note?: string } {
  if (setting === 'podman' || setting === 'vm') return { place: setting };
  if (gaps.length)
    return {
      place: 'vm',
      note: `This host's kernel has no ${gaps.join(', ')}, which a loop-device install needs: running bootc install inside a VM of the image instead.`,
    };
  return { place: 'podman' };
}

/** QEMU arguments for the two extra disks, on PCI slots after the root disk so it stays /dev/vda (commas doubled, as QEMU wants). */
export function helperDiskArgs(sourceImg: string, targetRaw: string): string[] {
  return [
    '-drive',
    `file=${sourceImg.replace(/,/g, ',,')},format=raw,if=none,id=bootclabsrc,readonly=on`,
    '-device',
    `virtio-blk-pci,drive=bootclabsrc,serial=${SOURCE_SERIAL},addr=0x10`,
    '-drive',
    `file=${targetRaw.replace(/,/g, ',,')},format=raw,if=none,id=bootclabtarget,cache=unsafe`,
    '-device',
    `virtio-blk-pci,drive=bootclabtarget,serial=${TARGET_SERIAL},addr=0x11`,
  ];
}

/**
 * The guest's command: mount the archive disk and install from it. `installArgs` are the same
 * options the podman route passes (filesystem, kargs, target, backend), minus the disk.
 */
export function guestInstallCommand(installArgs: string[]): string[] {
  const install = [
    'bootc',
    'install',
    'to-disk',
    '--source-imgref',
    `oci-archive:${SOURCE_MOUNT}/${ARCHIVE}`,
    '--wipe',
    ...installArgs.filter((a) => a !== '--via-loopback'),
    `/dev/disk/by-id/virtio-${TARGET_SERIAL}`,
  ];
  const script = [
    'set -e',
    `mkdir -p ${SOURCE_MOUNT}`,
    `mount -o ro /dev/disk/by-id/virtio-${SOURCE_SERIAL} ${SOURCE_MOUNT}`,
    remoteShellCommand(install),
    'sync',
  ].join('; ');
  return ['sh', '-c', shQuote(script)];
}

/** Boots the image in quick mode with extra QEMU arguments, runs one guest command over SSH, stops. */
export type HelperBoot = (
  o: { qemuArgs: string[]; command: string[] },
  ro: RunOptions,
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/**
 * Makes `targetRaw` an installed disk: the image saved as an OCI archive on an ext4 disk, the helper VM
 * runs bootc from the image on it. Scratch files live in `workDir` and are removed whatever happens.
 */
export async function installInVm(
  t: PodmanTarget & { image: string; mkfsPath?: string; log?: (s: string) => void },
  o: { targetRaw: string; workDir: string; installArgs: string[]; boot: HelperBoot },
  ro: RunOptions = {},
): Promise<void> {
  const src = path.join(o.workDir, 'src');
  const sourceImg = path.join(o.workDir, 'source.img');
  fs.mkdirSync(src, { recursive: true });
  try {
    const archive = path.join(src, ARCHIVE);
    t.log?.(`Saving ${t.image} as an OCI archive for the install VM`);
    await runChecked(
      { command: t.podmanPath ?? 'podman', args: [...podmanGlobal(t), 'save', '--format', 'oci-archive', '-o', archive, t.image] },
      ro,
    );
    const bytes = fs.statSync(archive).size;
    const size = Math.ceil((bytes * 1.1) / 1024 ** 2) + 64;
    try {
      await runChecked(
        { command: t.mkfsPath ?? 'mkfs.ext4', args: ['-q', '-F', '-L', SOURCE_SERIAL, '-d', src, sourceImg, `${size}M`] },
        ro,
      );
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new Error('mkfs.ext4 was not found: install e2fsprogs (Debian/Ubuntu: sudo apt-get install e2fsprogs).');
      throw e;
    }
    fs.rmSync(archive, { force: true });
    const command = guestInstallCommand(o.installArgs);
    t.log?.(`Booting ${t.image} in quick mode to run, inside it: ${command[2] ?? ''}`);
    const r = await o.boot({ qemuArgs: helperDiskArgs(sourceImg, o.targetRaw), command }, ro);
    if (r.exitCode !== 0) {
      const output = tail(
        [r.stdout, r.stderr]
          .map((x) => x.trim())
          .filter(Boolean)
          .join('\n'),
      );
      throw new Error(`bootc install in the install VM failed (exit ${r.exitCode}):\n${output}`);
    }
  } finally {
    fs.rmSync(o.workDir, { recursive: true, force: true });
  }
}
