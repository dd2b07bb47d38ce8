import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotFoundError, runChecked, type RunOptions } from '../process/run';
import { inspectImage, mountImage, unmountImage, type PodmanTarget } from '../podman/podman';
import { defaultCacheDir, installCacheKey } from './prepare';
import { findFirmware, installToDiskCommand, overlayCommand } from './qemu';

/** The image can install itself: it ships /usr/bin/bootc. */
export async function imageHasBootc(t: PodmanTarget & { image: string }, ro: RunOptions = {}): Promise<boolean> {
  const root = await mountImage(t, t.image, ro);
  try {
    return fs.existsSync(path.join(root, 'usr/bin/bootc'));
  } finally {
    await unmountImage(t, t.image);
  }
}

export interface InstallArtifacts {
  imageId: string;
  baseDisk: string;
  overlay: string;
  firmwareCode: string;
  firmwareVars: string;
  cached: boolean;
}

/**
 * The faithful path: `bootc install to-disk --via-loopback --generic-image` in a privileged
 * container of the image, cached by image ID and options; each boot gets a qcow2 overlay and its
 * own copy of the UEFI variables, so the installed disk is reused untouched.
 */
export async function prepareInstallBoot(
  t: PodmanTarget & {
    image: string;
    cacheDir?: string;
    sizeGb?: number;
    filesystem?: string;
    firmware?: string;
    runDir: string;
    log?: (s: string) => void;
  },
  ro: RunOptions = {},
): Promise<InstallArtifacts> {
  const fw = findFirmware(t.firmware);
  if (!fw)
    throw new Error(
      'No UEFI firmware found for install boot: install OVMF (Fedora: sudo dnf install edk2-ovmf; Debian/Ubuntu: sudo apt-get install ovmf) or set bootcLab.vm.firmware.',
    );
  if (!(await imageHasBootc(t, ro)))
    throw new Error(`${t.image} does not contain bootc, so it cannot install itself. Use quick boot, or build FROM a bootc base image.`);
  const inspect = await inspectImage(t, t.image, ro);
  const sizeGb = t.sizeGb ?? 10;
  const dir = path.join(t.cacheDir ?? defaultCacheDir(), `install-${installCacheKey(inspect.Id, { filesystem: t.filesystem, sizeGb })}`);
  const baseDisk = path.join(dir, 'disk.raw');
  let cached = fs.existsSync(baseDisk) && fs.existsSync(path.join(dir, 'done'));
  if (!cached) {
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(baseDisk, { force: true });
    // A sparse file of the disk size; bootc partitions and fills it through a loop device.
    fs.closeSync(fs.openSync(baseDisk, 'w'));
    fs.truncateSync(baseDisk, sizeGb * 1024 ** 3);
    t.log?.(`Installing ${t.image} to a ${sizeGb} GiB disk with bootc install to-disk (cached afterwards)`);
    await runChecked(
      installToDiskCommand({
        podmanPath: t.podmanPath,
        image: t.image,
        outDir: dir,
        diskName: 'disk.raw',
        sizeGb,
        filesystem: t.filesystem ?? 'xfs',
      }),
      { ...ro, onStderr: (l) => t.log?.(l) },
    );
    fs.writeFileSync(path.join(dir, 'done'), new Date().toISOString());
    cached = false;
  }
  const overlay = path.join(t.runDir, 'overlay.qcow2');
  try {
    await runChecked(overlayCommand({ base: baseDisk, baseFormat: 'raw', overlay }), ro);
  } catch (e) {
    if (e instanceof NotFoundError) throw new Error('qemu-img was not found: install qemu-utils (Debian/Ubuntu) or qemu-img (Fedora).');
    throw e;
  }
  const vars = path.join(t.runDir, 'OVMF_VARS.fd');
  fs.copyFileSync(fw.vars, vars);
  return { imageId: inspect.Id, baseDisk, overlay, firmwareCode: fw.code, firmwareVars: vars, cached };
}
