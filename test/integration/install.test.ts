import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { runBuild } from '../../core/src/podman/run-build';
import { CONSOLE_KARG } from '../../core/src/vm/install';
import { Vm } from '../../core/src/vm/vm';
import { ISOLATION, ensureBusyboxBase, requirePodman } from './base-images';
import { ensureDebianBase } from './debian-base';

const FIX = path.join(__dirname, 'fixtures');
const IMAGE = 'localhost/bootc-lab-test-install-fake:1';
/** This machine's OCI runtime refuses rlimits (see README): a test-only run argument, never the product's. */
const RUN_ARGS = ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function requireTools(): void {
  for (const c of ['qemu-system-x86_64', 'qemu-img', 'ssh-keygen']) {
    if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0)
      throw new Error(`${c} is required for the install test (apt-get install qemu-system-x86 qemu-utils openssh-client)`);
  }
  if (!fs.existsSync('/usr/share/qemu/firmware'))
    throw new Error('QEMU firmware descriptors are required for the install test (apt-get install ovmf)');
}

describe('install mode for real: podman run of the install, then QEMU + OVMF (TCG here)', { timeout: 900_000 }, () => {
  let work: string;
  before(async () => {
    requirePodman();
    requireTools();
    await initShellParser();
    ensureBusyboxBase();
    const file = path.join(FIX, 'install-bootc', 'Containerfile');
    const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
    const res = await runBuild({ file, context: path.dirname(file), tag: IMAGE, isolation: ISOLATION, model });
    assert.ok(res.ok, `build failed: ${res.failure?.tail}`);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-install-'));
  });

  it('installs as root with /dev and container storage, the console karg and target, no forced filesystem; the disk reaches UEFI boot selection', async () => {
    const record = path.join(work, 'record');
    fs.mkdirSync(record, { mode: 0o700 });
    // Relative on purpose: podman would read `rel:/output` as a named volume, qemu-img would misplace the backing file.
    const cacheDir = path.relative(process.cwd(), path.join(work, 'cache'));
    assert.ok(!path.isAbsolute(cacheDir));
    const logs: string[] = [];
    const vm = new Vm({
      image: IMAGE,
      mode: 'install',
      kvm: 'off',
      memoryMb: 512,
      cpus: 1,
      cacheDir,
      stateDir: path.join(work, 'state'),
      filesystem: 'xfs',
      kernelArgs: ['bootc_lab_test=1'],
      // The podman route with its stand-in bootc; the VM route has its own test.
      installIn: 'podman',
      installRunArgs: [...RUN_ARGS, '-v', `${record}:/record`],
      log: (l) => logs.push(l),
    });
    let serial = '';
    const selection = /BdsDxe: failed to load Boot\d+|BdsDxe: No bootable option|UEFI Interactive Shell|Shell> /;
    const reached = new Promise<void>((resolve) => {
      vm.on('console', (t: string) => {
        serial += t;
        if (selection.test(serial)) resolve();
      });
    });
    try {
      const t0 = Date.now();
      await vm.start();
      const installSeconds = (Date.now() - t0) / 1000;
      const install = vm.install;
      assert.ok(install, 'install artifacts');

      assert.equal(fs.readFileSync(path.join(record, 'uid'), 'utf8').trim(), '0', 'bootc ran as uid 0 despite USER 1000');
      const argv = fs.readFileSync(path.join(record, 'argv'), 'utf8').trim().split('\n');
      assert.deepEqual(argv.slice(0, 2), ['install', 'to-disk'], 'the image ENTRYPOINT did not swallow the arguments');
      const after = (f: string): string[] => argv.flatMap((a, i) => (a === f ? [argv[i + 1] ?? ''] : []));
      assert.deepEqual(after('--karg'), [CONSOLE_KARG, 'bootc_lab_test=1']);
      assert.deepEqual(after('--target-transport'), ['containers-storage']);
      assert.deepEqual(after('--target-imgref'), [IMAGE]);
      assert.ok(!argv.includes('--filesystem'), `the image's install config sets ext4, so no --filesystem: ${argv.join(' ')}`);
      assert.ok(logs.some((l) => /sets the root filesystem to ext4/.test(l)));
      const mountPoints = fs
        .readFileSync(path.join(record, 'mounts'), 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4]);
      assert.ok(mountPoints.includes('/dev'), 'the host /dev is mounted');
      assert.ok(mountPoints.includes('/var/lib/containers/storage'), 'the container storage is mounted');
      assert.ok(mountPoints.includes('/output'));

      const run = install.installCommand.args;
      const output = run.find((a) => a.endsWith(':/output')) ?? '';
      assert.ok(path.isAbsolute(output), output);
      assert.equal(output, `${path.resolve(cacheDir, path.basename(path.dirname(install.baseDisk)))}:/output`);
      assert.ok(path.isAbsolute(install.baseDisk) && install.baseDisk.startsWith(path.resolve(cacheDir)));
      assert.deepEqual(fs.readdirSync(path.dirname(install.baseDisk)), ['disk.raw'], 'no lock or temporary disk left');
      assert.equal(fs.statSync(install.baseDisk).size, 10 * 1024 ** 3);
      // -U: QEMU already holds the overlay's write lock, and qemu-img refuses a locked image without it.
      const info = spawnSync('qemu-img', ['info', '-U', '--output', 'json', install.overlay], { encoding: 'utf8' });
      assert.equal(info.status, 0, `qemu-img info: ${info.stderr}`);
      assert.equal((JSON.parse(info.stdout) as { 'full-backing-filename': string })['full-backing-filename'], install.baseDisk);

      assert.match(install.firmware.source, /^\/usr\/share\/qemu\/firmware\/.*\.json$/, 'found through the descriptors');
      assert.equal(install.firmware.code, '/usr/share/OVMF/OVMF_CODE_4M.fd');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`no UEFI boot selection within 600 s; console:\n${vm.consoleTail(20)}`)), 600_000);
      });
      await Promise.race([reached, timeout]).finally(() => clearTimeout(timer));
      const bootSeconds = (Date.now() - t0) / 1000 - installSeconds;
      process.stderr.write(
        `install (podman run) + overlay: ${installSeconds.toFixed(1)} s; QEMU to UEFI boot selection: ${bootSeconds.toFixed(1)} s\n` +
          `${serial
            .split('\n')
            .filter((l) => /BdsDxe|Shell/.test(l))
            .slice(0, 5)
            .join('\n')}\n`,
      );
      assert.ok(vm.commandLine.includes('if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd'));
    } finally {
      await vm.stop();
    }
  });

  it('reuses the installed disk for the next boot of the same image and options, here with a software TPM', async () => {
    const cacheDir = path.join(work, 'cache');
    const vm = new Vm({
      image: IMAGE,
      mode: 'install',
      kvm: 'off',
      memoryMb: 512,
      cpus: 1,
      cacheDir,
      stateDir: path.join(work, 'state2'),
      kernelArgs: ['bootc_lab_test=1'],
      tpm: true,
      // The podman route with its stand-in bootc; the VM route has its own test.
      installIn: 'podman',
      installRunArgs: [...RUN_ARGS, '-v', `${path.join(work, 'record')}:/record`],
    });
    let tpmPid = 0;
    try {
      await vm.start();
      assert.equal(vm.install?.cached, true);
      tpmPid = vm.install?.tpm?.pid ?? 0;
      assert.ok(tpmPid > 0 && vm.commandLine.includes('-tpmdev emulator,id=tpm0,chardev=chrtpm'));
      // QEMU refuses to start when it cannot reach swtpm; give it time to fail if it would.
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(vm.exited, undefined, vm.consoleTail(5));
    } finally {
      await vm.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.throws(() => process.kill(tpmPid, 0), 'swtpm ends with the VM');
  });
});

describe(
  'install mode inside a VM of the image: quick boot, bootc install onto a virtual disk, then QEMU + OVMF',
  { timeout: 1_800_000 },
  () => {
    const VM_IMAGE = 'localhost/bootc-lab-test-install-vm:1';
    let work: string;
    before(async () => {
      requirePodman();
      requireTools();
      await initShellParser();
      ensureDebianBase((s) => process.stderr.write(`${s}\n`));
      const file = path.join(FIX, 'install-vm', 'Containerfile');
      const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
      const res = await runBuild({ file, context: path.dirname(file), tag: VM_IMAGE, isolation: ISOLATION, model });
      assert.ok(res.ok, `build failed: ${res.failure?.tail}`);
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-install vm '));
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it('hands bootc the image as an OCI archive and the disk by its serial, and boots the disk it wrote', async () => {
      const tmpBefore = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('bootc-lab-install-vm-'));
      const logs: string[] = [];
      const vm = new Vm({
        image: VM_IMAGE,
        mode: 'install',
        installIn: 'vm',
        kvm: 'off',
        memoryMb: 1024,
        cpus: 2,
        cacheDir: path.join(work, 'cache'),
        stateDir: path.join(work, 'state'),
        filesystem: 'ext4',
        log: (l) => logs.push(l),
      });
      let serial = '';
      const selection = /BdsDxe: failed to load Boot\d+|BdsDxe: No bootable option|UEFI Interactive Shell|Shell> /;
      const reached = new Promise<void>((resolve) => {
        vm.on('console', (t: string) => {
          serial += t;
          if (selection.test(serial)) resolve();
        });
      });
      try {
        const t0 = Date.now();
        await vm.start();
        const installSeconds = (Date.now() - t0) / 1000;
        const disk = vm.install?.baseDisk ?? '';
        const head = Buffer.alloc(4096);
        const fd = fs.openSync(disk, 'r');
        fs.readSync(fd, head, 0, head.length, 0);
        fs.closeSync(fd);
        const record = head.toString('utf8').split('\nend\n')[0]?.split('\n') ?? [];
        assert.deepEqual(
          record.slice(0, 2),
          ['bootc-lab stand-in', '0'],
          `what the stand-in wrote: ${head.toString('utf8', 0, 200)}\n${logs.join('\n')}`,
        );
        const argv = record.slice(2);
        assert.deepEqual(argv.slice(0, 6), [
          'install',
          'to-disk',
          '--source-imgref',
          'oci-archive:/run/bootc-lab-src/image.ociarchive',
          '--wipe',
          '--generic-image',
        ]);
        assert.equal(argv.at(-1), '/dev/disk/by-id/virtio-bootclabtarget');
        assert.ok(!argv.includes('--via-loopback'));
        const valuesOf = (f: string): string[] => argv.flatMap((a, i) => (a === f ? [argv[i + 1] ?? ''] : []));
        assert.deepEqual(valuesOf('--karg'), [CONSOLE_KARG]);
        assert.deepEqual(valuesOf('--filesystem'), ['ext4']);
        assert.deepEqual(valuesOf('--target-imgref'), [VM_IMAGE]);
        assert.ok(
          logs.some((l) => l.startsWith('[install VM] ') && /Installation complete!/.test(l)),
          'the install VM streamed bootc output',
        );
        assert.deepEqual(fs.readdirSync(path.dirname(disk)), ['disk.raw'], 'no archive, source disk or lock left');
        assert.deepEqual(
          fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('bootc-lab-install-vm-') && !tmpBefore.includes(n)),
          [],
          'the install VM state is gone',
        );
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_r, reject) => {
          timer = setTimeout(() => reject(new Error(`no UEFI boot selection within 600 s; console:\n${vm.consoleTail(20)}`)), 600_000);
        });
        await Promise.race([reached, timeout]).finally(() => clearTimeout(timer));
        process.stderr.write(`install inside a VM (quick boot + stand-in bootc): ${installSeconds.toFixed(1)} s\n`);
      } finally {
        await vm.stop();
      }
      // This test's own QEMUs only: the install VM's disks live under its work directory.
      const left = spawnSync('pgrep', ['-f', work.replace(/[^\w/-]/g, '.')], { encoding: 'utf8' }).stdout.trim();
      assert.equal(left, '', 'no install VM left running');
      assert.ok(vm.exited, 'the installed VM’s QEMU exited');
    });
  },
);
