import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandSpec } from '../process/run';
import { tpmQemuArgs } from './tpm';
import { REDEPLOY_ARG, SHIM_PATH, STATE_DISK_SERIAL } from './machine-shim';

/** Everything that decides a QEMU command line; built by pure functions so it can be unit-tested. */
export interface QemuOptions {
  qemuPath?: string;
  memoryMb: number;
  cpus: number;
  kvm: boolean;
  /** Quick boot: the image's kernel and initramfs and a raw root disk, booted directly. */
  direct?: { kernel: string; initrd: string; rootDisk: string; append: string; stateDisk?: string };
  /** Install boot: a UEFI disk (a qcow2 overlay over the cached install). */
  disk?: {
    path: string;
    format: 'qcow2' | 'raw';
    firmwareCode: string;
    firmwareVars: string;
    /** pflash formats as the firmware descriptor states them (Fedora ships qcow2 builds). */
    codeFormat?: 'raw' | 'qcow2';
    varsFormat?: 'raw' | 'qcow2';
    /** Secure-boot firmware: SMM on and a secure pflash, or it hangs before the boot menu. */
    requiresSmm?: boolean;
  };
  /** swtpm control socket: attaches a TPM 2.0. */
  tpmSocket?: string;
  /** Network boot: no disk, QEMU's iPXE fetches `bootfile` from its built-in TFTP server on `tftpDir`. */
  netboot?: { tftpDir: string; bootfile: string };
  /** Host port on 127.0.0.1 forwarded to the guest's port 22. */
  sshPort: number;
  /** systemd credentials passed with SMBIOS type 11 (`name` → raw value, base64-encoded here). */
  credentials?: Record<string, string>;
  /** Serial console: a unix socket for the interactive terminal, and a log of everything. */
  serialSocket: string;
  serialLog: string;
  /** QMP socket for a clean shutdown. */
  qmpSocket: string;
  /** cloud-init NoCloud seed image (label `cidata`). */
  seedImage?: string;
  extraArgs?: string[];
}

/** `/dev/kvm` exists and this user can open it. */
export function kvmUsable(dev = '/dev/kvm', cpuinfo = '/proc/cpuinfo'): { usable: boolean; reason?: string } {
  if (!fs.existsSync(dev))
    return { usable: false, reason: `${dev} does not exist (no hardware virtualisation, or the kvm module is not loaded)` };
  // Some sandboxes expose a /dev/kvm that cannot run guests: the CPU must offer VT-x or AMD-V.
  try {
    if (!/\b(vmx|svm)\b/.test(fs.readFileSync(cpuinfo, 'utf8')))
      return { usable: false, reason: `the CPU offers no hardware virtualisation (no vmx/svm flag in ${cpuinfo}), although ${dev} exists` };
  } catch {
    // no cpuinfo to check: trust the device
  }
  try {
    fs.accessSync(dev, fs.constants.R_OK | fs.constants.W_OK);
    return { usable: true };
  } catch {
    return {
      usable: false,
      reason: `${dev} is not accessible: add yourself to the kvm group (sudo usermod -aG kvm $USER) and log in again`,
    };
  }
}

/** A systemd credential for SMBIOS: `io.systemd.credential.binary:NAME=BASE64`. */
export function smbiosCredential(name: string, value: string): string {
  return `type=11,value=io.systemd.credential.binary:${name}=${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** tmpfiles.d lines that install an SSH public key for root at boot, without baking it into the image. */
export function sshKeyTmpfiles(publicKey: string): string {
  const key = Buffer.from(`${publicKey.trim()}\n`, 'utf8').toString('base64');
  return `d /root/.ssh 0700 root root -\nf+~ /root/.ssh/authorized_keys 0600 root root - ${key}\n`;
}

/** QEMU's option syntax doubles commas inside values. */
function esc(v: string): string {
  return v.replace(/,/g, ',,');
}

export function qemuCommand(o: QemuOptions): CommandSpec {
  const args: string[] = ['-nodefaults', '-no-user-config', '-display', 'none', '-m', String(o.memoryMb), '-smp', String(o.cpus)];
  if (o.kvm) args.push('-accel', 'kvm', '-cpu', 'host');
  else args.push('-accel', 'tcg', '-cpu', 'max');
  args.push('-machine', o.disk?.requiresSmm ? 'q35,smm=on' : 'q35');
  if (o.disk?.requiresSmm) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  if (o.direct) {
    args.push('-no-reboot', '-kernel', o.direct.kernel, '-initrd', o.direct.initrd, '-append', o.direct.append);
    if (o.direct.stateDisk) {
      // A machine: the image is read-only as on a bootc host; /etc and /var live on the state disk.
      // Both as -device, in this order: QEMU places if=virtio drives after -device ones, and root=/dev/vda.
      args.push('-drive', `file=${esc(o.direct.rootDisk)},if=none,id=root,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=root');
      args.push('-drive', `file=${esc(o.direct.stateDisk)},if=none,id=state,format=raw`);
      args.push('-device', `virtio-blk-pci,drive=state,serial=${STATE_DISK_SERIAL}`);
    } else {
      // snapshot=on: writes go to a throwaway overlay, so the cached root disk stays pristine.
      args.push('-drive', `file=${esc(o.direct.rootDisk)},if=virtio,format=raw,snapshot=on`);
    }
  }
  if (o.disk) {
    args.push('-drive', `if=pflash,format=${o.disk.codeFormat ?? 'raw'},unit=0,readonly=on,file=${esc(o.disk.firmwareCode)}`);
    args.push('-drive', `if=pflash,format=${o.disk.varsFormat ?? 'raw'},unit=1,file=${esc(o.disk.firmwareVars)}`);
    args.push('-drive', `file=${esc(o.disk.path)},if=virtio,format=${o.disk.format}`);
  }
  if (o.tpmSocket) args.push(...tpmQemuArgs(o.tpmSocket));
  if (o.seedImage) args.push('-drive', `file=${esc(o.seedImage)},if=virtio,format=raw,readonly=on`);
  // Host forwards bind to 127.0.0.1 only: the VM is never reachable from the network.
  const tftp = o.netboot ? `,tftp=${esc(o.netboot.tftpDir)},bootfile=${esc(o.netboot.bootfile)}` : '';
  if (o.netboot) args.push('-no-reboot', '-boot', 'n');
  args.push('-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22${tftp}`, '-device', 'virtio-net-pci,netdev=n0');
  args.push('-device', 'virtio-rng-pci');
  args.push(
    '-chardev',
    `socket,id=ser0,path=${esc(o.serialSocket)},server=on,wait=off,logfile=${esc(o.serialLog)},logappend=off`,
    '-serial',
    'chardev:ser0',
  );
  args.push('-qmp', `unix:${esc(o.qmpSocket)},server=on,wait=off`);
  for (const [name, value] of Object.entries(o.credentials ?? {})) args.push('-smbios', smbiosCredential(name, value));
  args.push(...(o.extraArgs ?? []));
  return { command: o.qemuPath ?? 'qemu-system-x86_64', args };
}

/**
 * The kernel command line for a quick boot of an ext4 root disk; a machine boots read-only through the
 * shim, and `redeploy` tells the shim to deploy the rollback deployment's image anew (machine-shim.ts).
 */
export function quickAppend(extra: string[] = [], machine = false, redeploy = false): string {
  const root = machine ? ['ro', `init=${SHIM_PATH}`, ...(redeploy ? [REDEPLOY_ARG] : [])] : ['rw'];
  return ['root=/dev/vda', ...root, 'console=ttyS0,115200', 'panic=-1', 'systemd.journald.forward_to_console=0', ...extra].join(' ');
}

/** A copy-on-write qcow2 overlay over a cached base disk, so each boot starts from the install. */
export function overlayCommand(o: { qemuImgPath?: string; base: string; baseFormat: 'raw' | 'qcow2'; overlay: string }): CommandSpec {
  // qemu-img resolves a relative backing file against the overlay's directory, not ours.
  return {
    command: o.qemuImgPath ?? 'qemu-img',
    args: ['create', '-f', 'qcow2', '-F', o.baseFormat, '-b', path.resolve(o.base), path.resolve(o.overlay)],
  };
}
