import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { findFirmware, parseFirmwareDescriptor, readDescriptors, varsCandidates } from '../../core/src/vm/firmware';
import {
  CONSOLE_KARG,
  NO_BOOTLOADER_MESSAGE,
  ROOTLESS_MESSAGE,
  cachedInstallDisk,
  chooseFilesystem,
  installCacheKey,
  installDiskBytes,
  explainInstallFailure,
  installBackendArgs,
  installKargs,
  installToDiskCommand,
  parseInstallConfig,
  prepareInstallBoot,
  withInstallLock,
} from '../../core/src/vm/install';
import { overlayCommand, qemuCommand } from '../../core/src/vm/qemu';
import { swtpmCommand, tpmQemuArgs } from '../../core/src/vm/tpm';

const GiB = 1024 ** 3;
const scratchDirs: string[] = [];
const scratch = (p: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `bootc-lab-test-install-${p}-`));
  scratchDirs.push(d);
  return d;
};
after(() => {
  for (const d of scratchDirs) fs.rmSync(d, { recursive: true, force: true });
});

function argAfter(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('install mode: the bootc install command', () => {
  const base = { image: 'localhost/x:1', outDir: '/cache/i', diskName: 'disk.raw' };

  it('runs bootc as root whatever the image USER is, with host IPC and PID, and bootc as the entrypoint', () => {
    const { command, args } = installToDiskCommand(base);
    assert.equal(command, 'podman');
    assert.deepEqual(argAfter(args, '--user'), ['root:root']);
    assert.ok(args.includes('--privileged') && args.includes('--pid=host') && args.includes('--ipc=host'));
    // The image's ENTRYPOINT must not receive `install to-disk …`: bootc itself is the entrypoint.
    assert.deepEqual(argAfter(args, '--entrypoint'), ['bootc']);
    assert.ok(args.indexOf('--entrypoint') < args.indexOf('localhost/x:1'));
    assert.deepEqual(args.slice(args.indexOf('localhost/x:1') + 1, args.indexOf('localhost/x:1') + 3), ['install', 'to-disk']);
    assert.ok(argAfter(args, '-v').includes('/dev:/dev'));
    assert.ok(argAfter(args, '-v').includes('/var/lib/containers/storage:/var/lib/containers/storage'));
  });

  it('mounts an absolute output directory, so podman never reads it as a named volume', () => {
    const { args } = installToDiskCommand({ ...base, outDir: 'cache/install-abc' });
    const out = argAfter(args, '-v').find((v) => v.endsWith(':/output')) ?? '';
    assert.equal(out, `${path.resolve('cache/install-abc')}:/output`);
    assert.ok(path.isAbsolute(out.split(':')[0] ?? ''));
  });

  it('gives the installed system a serial console plus the user kernel arguments', () => {
    const kargs = installKargs(['quiet', 'console=ttyS0,115200']);
    assert.deepEqual(kargs, [CONSOLE_KARG, 'quiet']);
    const { args } = installToDiskCommand({ ...base, kargs });
    assert.deepEqual(argAfter(args, '--karg'), ['console=ttyS0,115200', 'quiet']);
  });

  it('passes --filesystem only when given one', () => {
    assert.ok(!installToDiskCommand(base).args.includes('--filesystem'));
    assert.deepEqual(argAfter(installToDiskCommand({ ...base, filesystem: 'ext4' }).args, '--filesystem'), ['ext4']);
  });

  it('points the installed system at container storage for upgrades', () => {
    const { args } = installToDiskCommand({ ...base, targetImgref: 'localhost/x:1', targetTransport: 'containers-storage' });
    assert.deepEqual(argAfter(args, '--target-transport'), ['containers-storage']);
    assert.deepEqual(argAfter(args, '--target-imgref'), ['localhost/x:1']);
  });

  it('uses the podman path, connection, storage root and extra run arguments', () => {
    const { command, args } = installToDiskCommand({
      ...base,
      podmanPath: '/opt/podman',
      connection: 'rootful',
      graphRoot: '/srv/containers/storage',
      runArgs: ['--runtime', 'runc'],
    });
    assert.equal(command, '/opt/podman');
    assert.deepEqual(args.slice(0, 3), ['--connection', 'rootful', 'run']);
    assert.ok(argAfter(args, '-v').includes('/srv/containers/storage:/var/lib/containers/storage'));
    assert.deepEqual(args.slice(args.indexOf('localhost/x:1') - 2, args.indexOf('localhost/x:1')), ['--runtime', 'runc']);
    assert.deepEqual(installToDiskCommand({ ...base, remote: true }).args.slice(0, 2), ['--remote', 'run']);
  });

  it('makes the qcow2 overlay over an absolute backing file', () => {
    const { args } = overlayCommand({ base: 'cache/i/disk.raw', baseFormat: 'raw', overlay: 'run/o.qcow2' });
    assert.deepEqual(argAfter(args, '-b'), [path.resolve('cache/i/disk.raw')]);
    assert.equal(args[args.length - 1], path.resolve('run/o.qcow2'));
  });
});

describe('install mode: filesystem, size, cache key', () => {
  it("reads the root filesystem from the image's install drop-ins, in name order, for this architecture", () => {
    assert.deepEqual(parseInstallConfig([]), {});
    assert.deepEqual(
      parseInstallConfig([
        { name: '10-derived.toml', text: '[install.filesystem.root]\ntype = "ext4"\n' },
        { name: '00-base.toml', text: '[install.filesystem.root]\ntype = "xfs"\n[install]\nblock = ["tpm2-luks", "direct"]\n' },
        { name: '20-arm.toml', text: '[install]\nmatch_architectures = ["aarch64"]\nroot-fs-type = "btrfs"\n' },
        { name: '30-bad.toml', text: 'not toml [' },
      ]),
      { filesystem: 'ext4', block: ['tpm2-luks', 'direct'] },
    );
    assert.deepEqual(parseInstallConfig([{ name: 'a.toml', text: '[install]\nroot-fs-type = "btrfs"\n' }]), { filesystem: 'btrfs' });
  });

  it('reads the bootloader, and skips drop-ins for other architectures in either spelling of the key', () => {
    assert.deepEqual(
      parseInstallConfig([
        { name: '00-base.toml', text: '[install]\nbootloader = "systemd"\n' },
        { name: '10-arm.toml', text: '[install]\nmatch-architectures = ["aarch64"]\nbootloader = "grub"\n' },
      ]),
      { bootloader: 'systemd' },
    );
  });

  it("keeps the image's filesystem and passes the user's only when the image sets none", () => {
    assert.deepEqual(chooseFilesystem('ext4', undefined), {});
    const over = chooseFilesystem('ext4', 'xfs');
    assert.equal(over.arg, undefined);
    assert.match(over.note ?? '', /sets the root filesystem to ext4/);
    assert.deepEqual(chooseFilesystem(undefined, 'xfs'), { arg: 'xfs' });
    const none = chooseFilesystem(undefined, undefined);
    assert.equal(none.arg, undefined);
    assert.match(none.note ?? '', /bootcLab\.vm\.filesystem/);
  });

  it('sizes the disk as the largest of twice the image, 10 GiB and the request', () => {
    assert.equal(installDiskBytes(1 * GiB), 10 * GiB);
    assert.equal(installDiskBytes(7.2 * GiB), 15 * GiB);
    assert.equal(installDiskBytes(1 * GiB, 30), 30 * GiB);
    assert.equal(installDiskBytes(undefined, 4), 10 * GiB);
  });

  it('keys the install cache by everything that changes the disk', () => {
    const o = { diskBytes: 10 * GiB, kargs: [CONSOLE_KARG], targetTransport: 'containers-storage', targetImgref: 'localhost/x:1' };
    const k = installCacheKey('abc', o);
    assert.equal(k, installCacheKey('abc', { ...o }));
    assert.notEqual(k, installCacheKey('abd', o));
    assert.notEqual(k, installCacheKey('abc', { ...o, diskBytes: 20 * GiB }));
    assert.notEqual(k, installCacheKey('abc', { ...o, filesystem: 'xfs' }));
    assert.notEqual(k, installCacheKey('abc', { ...o, kargs: [CONSOLE_KARG, 'quiet'] }));
    assert.notEqual(k, installCacheKey('abc', { ...o, targetImgref: 'localhost/y:1' }));
    assert.notEqual(k, installCacheKey('abc', { ...o, targetTransport: 'oci-archive' }));
  });
});

describe('install mode: the backend for the boot loader the image has', () => {
  const none = { bootupd: false, systemdBoot: false, uki: false };
  it('lets bootc choose when the image has bootupd or a UKI', () => {
    assert.deepEqual(installBackendArgs({ ...none, bootupd: true, systemdBoot: true }, {}), { args: [] });
    assert.deepEqual(installBackendArgs({ ...none, uki: true, systemdBoot: true }, {}), { args: [] });
  });
  it('installs a systemd-boot image without bootupd with the composefs backend, keeping a configured bootloader', () => {
    const plain = installBackendArgs({ ...none, systemdBoot: true }, {});
    assert.deepEqual(plain.args, ['--composefs-backend', '--bootloader', 'systemd']);
    assert.match(plain.note ?? '', /no bootupd/);
    assert.deepEqual(installBackendArgs({ ...none, systemdBoot: true }, { bootloader: 'systemd' }).args, ['--composefs-backend']);
    assert.deepEqual(installBackendArgs({ ...none, systemdBoot: true }, { bootloader: 'grub' }).args, []);
  });
  it('says what to install when the image has no boot loader installer at all, and explains bootc failing on it', () => {
    assert.deepEqual(installBackendArgs(none, {}), { args: [], note: NO_BOOTLOADER_MESSAGE });
    assert.match(NO_BOOTLOADER_MESSAGE, /systemd-boot-efi/);
    const bootc = 'podman exited with 1: error: Installing to disk: bootupd is required for ostree-based installs';
    assert.equal(explainInstallFailure(bootc), `${bootc}\n\n${NO_BOOTLOADER_MESSAGE}`);
    assert.equal(explainInstallFailure('error: no space left'), 'error: no space left');
  });
  it('puts the backend flags after the install options and before the disk', () => {
    const args = installToDiskCommand({ image: 'i', outDir: '/o', diskName: 'disk.raw', installArgs: ['--composefs-backend'] }).args;
    assert.deepEqual(args.slice(-2), ['--composefs-backend', '/output/disk.raw']);
  });
});

describe('install mode: cache lock and atomic write', () => {
  it('installs once when two boots of one image race, and both get the finished disk', async () => {
    const dir = scratch('race');
    let runs = 0;
    const produce = async (tmp: string): Promise<void> => {
      runs++;
      assert.ok(!fs.existsSync(path.join(dir, 'disk.raw')), 'the final name appears only when complete');
      fs.writeFileSync(path.join(dir, tmp), 'half');
      await new Promise((r) => setTimeout(r, 150));
      fs.appendFileSync(path.join(dir, tmp), ' and whole');
    };
    let waited = 0;
    const [a, b] = await Promise.all([
      cachedInstallDisk(dir, produce, { pollMs: 20, onWait: () => waited++ }),
      cachedInstallDisk(dir, produce, { pollMs: 20, onWait: () => waited++ }),
    ]);
    assert.equal(runs, 1);
    assert.equal(waited, 1);
    assert.deepEqual([a.cached, b.cached].sort(), [false, true]);
    assert.equal(fs.readFileSync(a.disk, 'utf8'), 'half and whole');
    assert.deepEqual(fs.readdirSync(dir), ['disk.raw'], 'no lock or temporary file is left');
  });

  it('leaves no disk behind when the install fails, and takes over a lock whose process is gone', async () => {
    const dir = scratch('fail');
    await assert.rejects(
      cachedInstallDisk(dir, (tmp) => {
        fs.writeFileSync(path.join(dir, tmp), 'partial');
        return Promise.reject(new Error('bootc failed'));
      }),
      /bootc failed/,
    );
    assert.deepEqual(fs.readdirSync(dir), []);
    fs.writeFileSync(path.join(dir, 'lock'), '999999999');
    assert.equal(await withInstallLock(dir, () => Promise.resolve('ran'), { pollMs: 10 }), 'ran');
  });
});

describe('install mode: UEFI firmware', () => {
  function tree(): { root: string; share: string; etc: string; ovmf: string } {
    const root = scratch('fw');
    const share = path.join(root, 'usr/share/qemu/firmware');
    const etc = path.join(root, 'etc/qemu/firmware');
    const ovmf = path.join(root, 'usr/share/OVMF');
    for (const d of [share, etc, ovmf]) fs.mkdirSync(d, { recursive: true });
    for (const f of ['OVMF_CODE_4M.fd', 'OVMF_CODE_4M.secboot.fd', 'OVMF_CODE_4M.ms.fd', 'OVMF_VARS_4M.fd', 'OVMF_VARS_4M.ms.fd'])
      fs.writeFileSync(path.join(ovmf, f), f);
    return { root, share, etc, ovmf };
  }
  const descriptor = (code: string, vars: string, features: string[], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      'interface-types': ['uefi'],
      mapping: { device: 'flash', executable: { filename: code, format: 'raw' }, 'nvram-template': { filename: vars, format: 'raw' } },
      targets: [{ architecture: 'x86_64', machines: ['pc-q35-*'] }],
      features,
      ...extra,
    });

  it("follows QEMU's descriptors: non-secure firmware first, a later directory overriding by name", () => {
    const t = tree();
    fs.writeFileSync(
      path.join(t.share, '40-edk2-x86_64-secure-enrolled.json'),
      descriptor(`${t.ovmf}/OVMF_CODE_4M.ms.fd`, `${t.ovmf}/OVMF_VARS_4M.ms.fd`, ['enrolled-keys', 'requires-smm', 'secure-boot']),
    );
    fs.writeFileSync(
      path.join(t.share, '50-edk2-x86_64-secure.json'),
      descriptor(`${t.ovmf}/OVMF_CODE_4M.secboot.fd`, `${t.ovmf}/OVMF_VARS_4M.fd`, ['requires-smm', 'secure-boot']),
    );
    fs.writeFileSync(path.join(t.share, '60-edk2-x86_64.json'), descriptor(`${t.ovmf}/OVMF_CODE_4M.fd`, `${t.ovmf}/OVMF_VARS_4M.fd`, []));
    fs.writeFileSync(path.join(t.share, '70-bios.json'), JSON.stringify({ 'interface-types': ['bios'] }));
    const dirs = [t.share, t.etc];
    assert.equal(readDescriptors(dirs).length, 3);
    const fw = findFirmware(undefined, { descriptorDirs: dirs });
    assert.equal(fw?.code, `${t.ovmf}/OVMF_CODE_4M.fd`);
    assert.equal(fw?.vars, `${t.ovmf}/OVMF_VARS_4M.fd`);
    assert.equal(fw?.requiresSmm, false);
    assert.equal(fw?.source, path.join(t.share, '60-edk2-x86_64.json'));
    // An empty file of the same name in /etc masks the distribution's descriptor.
    fs.writeFileSync(path.join(t.etc, '60-edk2-x86_64.json'), '');
    const secure = findFirmware(undefined, { descriptorDirs: dirs });
    assert.equal(secure?.code, `${t.ovmf}/OVMF_CODE_4M.secboot.fd`);
    assert.equal(secure?.requiresSmm, true);
  });

  it("finds the variable store of a configured secure-boot code file that Debian's names do not pair", () => {
    const t = tree();
    fs.writeFileSync(
      path.join(t.share, '50-edk2-x86_64-secure.json'),
      descriptor(`${t.ovmf}/OVMF_CODE_4M.secboot.fd`, `${t.ovmf}/OVMF_VARS_4M.fd`, ['requires-smm', 'secure-boot']),
    );
    const viaDescriptor = findFirmware(`${t.ovmf}/OVMF_CODE_4M.secboot.fd`, { descriptorDirs: [t.share] });
    assert.equal(viaDescriptor?.vars, `${t.ovmf}/OVMF_VARS_4M.fd`);
    assert.equal(viaDescriptor?.requiresSmm, true);
    // Without any descriptor the suffix is dropped: OVMF_VARS_4M.secboot.fd does not exist.
    const byName = findFirmware(`${t.ovmf}/OVMF_CODE_4M.secboot.fd`, { descriptorDirs: [] });
    assert.equal(byName?.vars, `${t.ovmf}/OVMF_VARS_4M.fd`);
    assert.deepEqual(varsCandidates('/x/OVMF_CODE.4m.fd'), ['/x/OVMF_VARS.4m.fd']);
    assert.equal(
      findFirmware(path.join(t.share, '50-edk2-x86_64-secure.json'), { descriptorDirs: [] })?.code,
      `${t.ovmf}/OVMF_CODE_4M.secboot.fd`,
    );
    assert.equal(findFirmware(`${t.ovmf}/missing.fd`, { descriptorDirs: [] }), undefined);
  });

  it('falls back to the paths of RHEL 9 (secure-boot code only) and Arch', () => {
    const rhel = scratch('rhel');
    fs.mkdirSync(path.join(rhel, 'usr/share/edk2/ovmf'), { recursive: true });
    for (const f of ['OVMF_CODE.secboot.fd', 'OVMF_VARS.fd', 'OVMF_VARS.secboot.fd'])
      fs.writeFileSync(path.join(rhel, 'usr/share/edk2/ovmf', f), f);
    const r = findFirmware(undefined, { descriptorDirs: [], root: rhel });
    assert.equal(r?.code, path.join(rhel, 'usr/share/edk2/ovmf/OVMF_CODE.secboot.fd'));
    assert.equal(r?.requiresSmm, true);
    const arch = scratch('arch');
    fs.mkdirSync(path.join(arch, 'usr/share/edk2/x64'), { recursive: true });
    for (const f of ['OVMF_CODE.4m.fd', 'OVMF_VARS.4m.fd']) fs.writeFileSync(path.join(arch, 'usr/share/edk2/x64', f), f);
    assert.equal(findFirmware(undefined, { descriptorDirs: [], root: arch })?.vars, path.join(arch, 'usr/share/edk2/x64/OVMF_VARS.4m.fd'));
    assert.equal(findFirmware(undefined, { descriptorDirs: [], root: scratch('none') }), undefined);
  });

  it("gives QEMU the descriptor's pflash format and SMM for secure-boot firmware", () => {
    const fw = parseFirmwareDescriptor(
      JSON.stringify({
        'interface-types': ['uefi'],
        mapping: {
          device: 'flash',
          executable: { filename: '/usr/share/edk2/ovmf/OVMF_CODE_4M.secboot.qcow2', format: 'qcow2' },
          'nvram-template': { filename: '/usr/share/edk2/ovmf/OVMF_VARS_4M.qcow2', format: 'qcow2' },
        },
        targets: [{ architecture: 'x86_64', machines: ['pc-q35-*'] }],
        features: ['requires-smm', 'secure-boot'],
      }),
      'fedora.json',
    );
    assert.ok(fw);
    const { args } = qemuCommand({
      memoryMb: 1024,
      cpus: 1,
      kvm: false,
      sshPort: 1,
      serialSocket: '/s',
      serialLog: '/l',
      qmpSocket: '/q',
      disk: {
        path: '/o.qcow2',
        format: 'qcow2',
        firmwareCode: fw.code,
        firmwareVars: '/r/VARS.qcow2',
        codeFormat: fw.codeFormat,
        varsFormat: fw.varsFormat,
        requiresSmm: fw.requiresSmm,
      },
      tpmSocket: '/r/swtpm.sock',
    });
    assert.deepEqual(argAfter(args, '-drive').slice(0, 2), [
      'if=pflash,format=qcow2,unit=0,readonly=on,file=/usr/share/edk2/ovmf/OVMF_CODE_4M.secboot.qcow2',
      'if=pflash,format=qcow2,unit=1,file=/r/VARS.qcow2',
    ]);
    assert.deepEqual(argAfter(args, '-machine'), ['q35,smm=on']);
    assert.deepEqual(argAfter(args, '-global'), ['driver=cfi.pflash01,property=secure,value=on']);
    assert.deepEqual(argAfter(args, '-tpmdev'), ['emulator,id=tpm0,chardev=chrtpm']);
    assert.deepEqual(tpmQemuArgs('/r/a,b.sock').slice(0, 2), ['-chardev', 'socket,id=chrtpm,path=/r/a,,b.sock']);
    assert.deepEqual(swtpmCommand({ stateDir: '/r/tpm', socket: '/r/s.sock' }).args, [
      'socket',
      '--tpm2',
      '--tpmstate',
      'dir=/r/tpm',
      '--ctrl',
      'type=unixio,path=/r/s.sock',
      '--terminate',
    ]);
  });
});

/** A podman stand-in (a Node script) that records its argv and answers what install mode asks. */
function fakePodman(o: { rootless: boolean; imageRoot: string; runFails?: string }): { bin: string; calls: () => string[][] } {
  const dir = scratch('podman');
  const log = path.join(dir, 'calls.jsonl');
  const pulled = path.join(dir, 'pulled');
  const bin = path.join(dir, 'podman');
  fs.writeFileSync(
    bin,
    `#!${process.execPath}
const fs = require('fs'), path = require('path');
const argv = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(argv) + '\\n');
const a = argv[0] === '--connection' ? argv.slice(2) : argv[0] === '--remote' ? argv.slice(1) : argv;
const out = (s) => process.stdout.write(s);
if (a[0] === 'info') out(JSON.stringify({ host: { security: { rootless: ${o.rootless} } }, store: { graphRoot: '/srv/fake/storage', graphDriverName: 'overlay' }, version: { Version: '5.2.0' } }));
else if (a[0] === 'image' && a[1] === 'exists') process.exit(fs.existsSync(${JSON.stringify(pulled)}) ? 0 : 1);
else if (a[0] === 'pull') fs.writeFileSync(${JSON.stringify(pulled)}, '');
else if (a[0] === 'save') fs.writeFileSync(a[a.indexOf('-o') + 1], 'oci archive');
else if (a[0] === 'image' && a[1] === 'mount') out(${JSON.stringify(o.imageRoot)} + '\\n');
else if (a[0] === 'image' && a[1] === 'inspect') out(JSON.stringify([{ Id: 'f00d', Size: 6 * 1024 ** 3 }]));
else if (a[0] === 'run' && ${JSON.stringify(o.runFails ?? '')}) {
  process.stderr.write(${JSON.stringify(o.runFails ?? '')} + '\\n');
  process.exit(1);
} else if (a[0] === 'run') {
  const vol = a.find((x) => x.endsWith(':/output')).slice(0, -':/output'.length);
  const fd = fs.openSync(path.join(vol, path.basename(a[a.length - 1])), 'r+');
  fs.writeSync(fd, 'installed', 0);
  fs.closeSync(fd);
}
`,
  );
  fs.chmodSync(bin, 0o755);
  const calls = (): string[][] =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as string[])
      : [];
  return { bin, calls };
}

function fakeImageAndFirmware(): { imageRoot: string; fwDir: string } {
  const imageRoot = scratch('image');
  fs.mkdirSync(path.join(imageRoot, 'usr/bin'), { recursive: true });
  fs.writeFileSync(path.join(imageRoot, 'usr/bin/bootc'), '');
  fs.mkdirSync(path.join(imageRoot, 'usr/lib/bootc/install'), { recursive: true });
  fs.writeFileSync(path.join(imageRoot, 'usr/lib/bootc/install/00-fs.toml'), '[install.filesystem.root]\ntype = "ext4"\n');
  const fwDir = scratch('fwd');
  fs.writeFileSync(path.join(fwDir, 'CODE.fd'), 'code');
  fs.writeFileSync(path.join(fwDir, 'VARS.fd'), 'vars');
  fs.writeFileSync(
    path.join(fwDir, '60-test.json'),
    JSON.stringify({
      'interface-types': ['uefi'],
      mapping: {
        device: 'flash',
        executable: { filename: path.join(fwDir, 'CODE.fd') },
        'nvram-template': { filename: path.join(fwDir, 'VARS.fd') },
      },
      targets: [{ architecture: 'x86_64', machines: ['pc-q35-*'] }],
    }),
  );
  return { imageRoot, fwDir };
}

describe('install mode: preparing a boot (podman stand-in, real qemu-img)', () => {
  it('says up front that rootless podman cannot install, and how to get rootful podman', async () => {
    const { imageRoot, fwDir } = fakeImageAndFirmware();
    const podman = fakePodman({ rootless: true, imageRoot });
    await assert.rejects(
      prepareInstallBoot({
        image: 'localhost/x:1',
        podmanPath: podman.bin,
        runDir: scratch('run'),
        cacheDir: scratch('c'),
        firmwareSearch: { descriptorDirs: [fwDir] },
        installIn: 'podman' as const,
      }),
      (e: Error) => e.message === ROOTLESS_MESSAGE,
    );
    assert.match(ROOTLESS_MESSAGE, /rootful podman/);
    assert.match(ROOTLESS_MESSAGE, /sudo/);
    assert.match(ROOTLESS_MESSAGE, /connection/);
    assert.ok(!podman.calls().some((c) => c.includes('run')), 'nothing is started');
  });

  it('pulls a missing image, uses the connection everywhere, installs once to an absolute cache path, then reuses it', async () => {
    const { imageRoot, fwDir } = fakeImageAndFirmware();
    const podman = fakePodman({ rootless: false, imageRoot });
    const cache = scratch('cache');
    const logs: string[] = [];
    const o = {
      image: 'localhost/x:1',
      podmanPath: podman.bin,
      connection: 'rootful',
      cacheDir: path.relative(process.cwd(), cache),
      filesystem: 'xfs',
      kernelArgs: ['quiet'],
      firmwareSearch: { descriptorDirs: [fwDir] },
      installIn: 'podman' as const,
      installRunArgs: ['--runtime', 'runc'],
      log: (l: string) => logs.push(l),
    };
    const first = await prepareInstallBoot({ ...o, runDir: scratch('run1') });
    const calls = podman.calls();
    assert.ok(
      calls.every((c) => c[0] === '--connection' && c[1] === 'rootful'),
      JSON.stringify(calls),
    );
    assert.equal(calls.filter((c) => c[2] === 'pull').length, 1);
    const runs = calls.filter((c) => c[2] === 'run');
    assert.equal(runs.length, 1);
    const run = runs[0] ?? [];
    assert.ok(run.includes(`${path.dirname(first.baseDisk)}:/output`) && path.isAbsolute(first.baseDisk));
    assert.ok(first.baseDisk.startsWith(cache));
    assert.ok(run.includes('/srv/fake/storage:/var/lib/containers/storage'), 'the storage podman reports is mounted');
    assert.ok(!run.includes('--filesystem'), "the image's ext4 wins over the requested xfs");
    assert.ok(logs.some((l) => /sets the root filesystem to ext4/.test(l)));
    assert.ok(
      logs.some((l) => l.startsWith(`$ ${podman.bin} --connection rootful run `)),
      'the equivalent command line is logged',
    );
    assert.deepEqual(argAfter(run, '--karg'), [CONSOLE_KARG, 'quiet']);
    assert.deepEqual(argAfter(run, '--target-imgref'), ['localhost/x:1']);
    assert.equal(fs.statSync(first.baseDisk).size, 12 * GiB, 'twice the 6 GiB image');
    assert.equal(first.cached, false);
    assert.deepEqual(fs.readdirSync(path.dirname(first.baseDisk)), ['disk.raw']);
    assert.ok(fs.existsSync(first.overlay) && first.firmwareVars !== path.join(fwDir, 'VARS.fd'));
    const second = await prepareInstallBoot({ ...o, runDir: scratch('run2') });
    assert.equal(second.cached, true);
    assert.equal(second.baseDisk, first.baseDisk);
    assert.equal(podman.calls().filter((c) => c[2] === 'run').length, 1);
  });

  it('installs a Debian-style image (systemd-boot, no bootupd) with the composefs backend, and explains a bootupd failure', async () => {
    const { imageRoot, fwDir } = fakeImageAndFirmware();
    fs.mkdirSync(path.join(imageRoot, 'usr/lib/systemd/boot/efi'), { recursive: true });
    fs.writeFileSync(path.join(imageRoot, 'usr/lib/systemd/boot/efi/systemd-bootx64.efi'), '');
    const podman = fakePodman({ rootless: false, imageRoot });
    const logs: string[] = [];
    const o = {
      image: 'localhost/x:1',
      firmwareSearch: { descriptorDirs: [fwDir] },
      installIn: 'podman' as const,
      log: (l: string) => logs.push(l),
    };
    await prepareInstallBoot({ ...o, podmanPath: podman.bin, runDir: scratch('run'), cacheDir: scratch('cache') });
    const run = podman.calls().find((c) => c[0] === 'run') ?? [];
    assert.deepEqual(run.slice(-4, -1), ['--composefs-backend', '--bootloader', 'systemd'], JSON.stringify(run));
    assert.ok(logs.some((l) => /installing with the composefs backend/.test(l)));

    fs.rmSync(path.join(imageRoot, 'usr/lib/systemd/boot'), { recursive: true });
    const failing = fakePodman({
      rootless: false,
      imageRoot,
      runFails: 'error: Installing to disk: bootupd is required for ostree-based installs',
    });
    const cache = scratch('cache');
    await assert.rejects(
      prepareInstallBoot({ ...o, podmanPath: failing.bin, runDir: scratch('run'), cacheDir: cache }),
      (e: Error) => e.message.includes('bootupd is required') && e.message.endsWith(NO_BOOTLOADER_MESSAGE),
    );
    const run2 = failing.calls().find((c) => c[0] === 'run') ?? [];
    assert.ok(!run2.includes('--composefs-backend'), 'no backend flags for an image without systemd-boot');
    assert.ok(logs.includes(NO_BOOTLOADER_MESSAGE), 'said before the install ran');
  });

  it('installs inside a VM of the image when the host kernel cannot partition a loop device, and caches that disk too', async () => {
    const { imageRoot, fwDir } = fakeImageAndFirmware();
    const podman = fakePodman({ rootless: false, imageRoot });
    const logs: string[] = [];
    const boots: string[][] = [];
    const o = {
      image: 'localhost/x:1',
      podmanPath: podman.bin,
      cacheDir: scratch('cache'),
      firmwareSearch: { descriptorDirs: [fwDir] },
      hostKernelConfig: '# CONFIG_EFI_PARTITION is not set\n',
      helperBoot: (h: { qemuArgs: string[]; command: string[] }) => {
        boots.push(h.command);
        const target = /file=([^,]+),format=raw,if=none,id=bootclabtarget/.exec(h.qemuArgs.join(' '))?.[1] ?? '';
        fs.writeFileSync(target, 'installed by the VM', { flag: 'r+' });
        return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
      },
      log: (l: string) => logs.push(l),
    };
    const first = await prepareInstallBoot({ ...o, runDir: scratch('run') });
    assert.equal(boots.length, 1);
    assert.match(boots[0]?.[2] ?? '', / --karg console=ttyS0,115200 /);
    assert.ok(!podman.calls().some((c) => c[0] === 'run'), 'no privileged container');
    assert.ok(logs.some((l) => /no GPT partitions \(CONFIG_EFI_PARTITION\).*inside a VM/.test(l)));
    const head = Buffer.alloc(19);
    const fd = fs.openSync(first.baseDisk, 'r');
    fs.readSync(fd, head, 0, 19, 0);
    fs.closeSync(fd);
    assert.equal(head.toString(), 'installed by the VM');
    assert.deepEqual(fs.readdirSync(path.dirname(first.baseDisk)), ['disk.raw'], 'the VM scratch is gone');
    const second = await prepareInstallBoot({ ...o, runDir: scratch('run') });
    assert.equal(second.cached, true);
    assert.equal(boots.length, 1);
  });

  it('says what to do when the install must run in a VM and the caller (the libvirt backend) cannot boot one', async () => {
    const { imageRoot, fwDir } = fakeImageAndFirmware();
    const podman = fakePodman({ rootless: false, imageRoot });
    await assert.rejects(
      prepareInstallBoot({
        image: 'localhost/x:1',
        podmanPath: podman.bin,
        cacheDir: scratch('cache'),
        runDir: scratch('run'),
        firmwareSearch: { descriptorDirs: [fwDir] },
        hostKernelConfig: '# CONFIG_VFAT_FS is not set\n',
      }),
      /no vfat \(CONFIG_VFAT_FS\).*boot the image once with the QEMU backend/s,
    );
    assert.ok(!podman.calls().some((c) => c[0] === 'run'));
  });
});
