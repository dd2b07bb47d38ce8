import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { runBuild } from '../../core/src/podman/run-build';
import { ImageNotBootableError, prepareQuickBoot } from '../../core/src/vm/prepare';
import { Vm } from '../../core/src/vm/vm';
import { ISOLATION, ensureBusyboxBase, leftovers, leftSince, requirePodman } from './base-images';
import { ensureDebianBase } from './debian-base';

const FIX = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '../../dist/cli.js');
const IMAGE = 'localhost/bootc-lab-test-debian-vm:1';
// This file's own VM cache: its "no QEMU left" checks then see only this file's VMs, not those other tests
// (or other users of the machine) run at the same time. Under ~/.cache so reruns reuse the disk.
const CACHE = path.join(os.homedir(), '.cache', 'bootc-lab', 'test-boot-vm');

function requireQemu(): void {
  for (const c of ['qemu-system-x86_64', 'mkfs.ext4', 'ssh', 'ssh-keygen']) {
    const r = spawnSync('sh', ['-c', `command -v ${c}`]);
    if (r.status !== 0)
      throw new Error(`${c} is required for the boot tests (apt-get install qemu-system-x86 qemu-utils e2fsprogs openssh-client)`);
  }
}

function qemuProcesses(): string {
  return spawnSync('pgrep', ['-fa', 'qemu-system-x86_64'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes(CACHE))
    .join('\n');
}

async function buildFixture(name: string, tag: string): Promise<void> {
  const file = path.join(FIX, name, 'Containerfile');
  const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const res = await runBuild({ file, context: path.dirname(file), tag, isolation: ISOLATION, model });
  assert.ok(res.ok, `build of ${name} failed: ${res.failure?.tail}`);
}

describe('real QEMU boots (TCG here)', { timeout: 1_800_000 }, () => {
  before(async () => {
    requirePodman();
    requireQemu();
    await initShellParser();
    ensureBusyboxBase();
    ensureDebianBase((s) => process.stderr.write(`${s}\n`));
    await buildFixture('debian-vm', IMAGE);
    await buildFixture('no-kernel', 'localhost/bootc-lab-test-no-kernel:1');
  });

  it('quick-boots the Debian image with a cloud-init seed, reaches SSH, runs a command, records the boot, stops cleanly', () => {
    const before = leftovers();
    const seed = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-ci-'));
    fs.writeFileSync(path.join(seed, 'user-data'), '#cloud-config\nhostname: bootc-lab-test\n');
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'boot',
        '--cache-dir',
        CACHE,
        IMAGE,
        '--cloud-init',
        seed,
        '--exec',
        'cat /etc/debian_version && systemctl is-enabled ssh && ls /dev/disk/by-label',
        '--timeout',
        '400',
        '--memory',
        '1024',
        '--json',
      ],
      { encoding: 'utf8', timeout: 600_000 },
    );
    fs.rmSync(seed, { recursive: true, force: true });
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    const rec = JSON.parse(r.stdout) as {
      states: { state: string; at: number }[];
      exec: { exitCode: number; stdout: string };
      systemdAnalyze?: { kernel?: number; userspace?: number };
      failedUnits?: string[];
      memoryUsedBytes?: number;
      diskUsedBytes?: number;
      accel: string;
      consoleLog: string;
    };
    assert.deepEqual(
      rec.states.map((s) => s.state),
      ['starting', 'kernel', 'initrd', 'switch-root', 'userspace', 'login', 'ssh'],
    );
    assert.match(rec.exec.stdout, /^12\.\d+\nenabled\n/);
    assert.match(rec.exec.stdout, /\bcidata\b/, 'the NoCloud seed is attached with its label');
    assert.ok((rec.systemdAnalyze?.kernel ?? 0) > 0 && (rec.systemdAnalyze?.userspace ?? 0) > 0, JSON.stringify(rec.systemdAnalyze));
    assert.ok(Array.isArray(rec.failedUnits));
    assert.ok((rec.memoryUsedBytes ?? 0) > 10 * 1024 ** 2);
    assert.ok((rec.diskUsedBytes ?? 0) > 100 * 1024 ** 2);
    assert.ok(['kvm', 'tcg'].includes(rec.accel));
    assert.ok(fs.existsSync(rec.consoleLog), 'the console log is kept');
    assert.equal(qemuProcesses(), '');
    assert.deepEqual(leftSince(before), { mounts: [], containers: [] });
  });

  it('takes the kernel and initramfs out of a UKI, byte for byte', async () => {
    const plain = await prepareQuickBoot({ image: IMAGE });
    const stub = '/usr/lib/systemd/boot/efi/linuxx64.efi.stub';
    assert.ok(fs.existsSync(stub), 'systemd-boot-efi is required (apt-get install systemd-boot-efi)');
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-uki-'));
    try {
      const mk = spawnSync(
        'objcopy',
        [
          '--add-section',
          `.linux=${plain.kernel}`,
          '--change-section-vma',
          '.linux=0x2000000',
          '--add-section',
          `.initrd=${plain.initrd}`,
          '--change-section-vma',
          '.initrd=0x3000000',
          stub,
          path.join(ctx, 'uki.efi'),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(mk.status, 0, mk.stderr);
      fs.writeFileSync(
        path.join(ctx, 'Containerfile'),
        `FROM ${IMAGE}\nCOPY uki.efi /usr/lib/modules/${plain.kver}/${plain.kver}.efi\nRUN rm -f /usr/lib/modules/${plain.kver}/vmlinuz /usr/lib/modules/${plain.kver}/initramfs.img\n`,
      );
      const res = await runBuild({
        file: path.join(ctx, 'Containerfile'),
        context: ctx,
        tag: 'localhost/bootc-lab-test-uki:1',
        isolation: ISOLATION,
      });
      assert.ok(res.ok, res.failure?.tail);
      const fromUki = await prepareQuickBoot({ image: 'localhost/bootc-lab-test-uki:1' });
      const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
      assert.equal(sha(fromUki.kernel), sha(plain.kernel));
      assert.equal(sha(fromUki.initrd), sha(plain.initrd));
    } finally {
      fs.rmSync(ctx, { recursive: true, force: true });
    }
  });

  it('exits with the command status', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'boot', IMAGE, '--cache-dir', CACHE, '--exec', 'exit 7', '--timeout', '400', '--memory', '1024'],
      {
        encoding: 'utf8',
        timeout: 600_000,
      },
    );
    assert.equal(r.status, 7, r.stderr);
    assert.equal(qemuProcesses(), '');
  });

  it('refuses an image without a kernel with a clear error, before starting QEMU', async () => {
    const vm = new Vm({ image: 'localhost/bootc-lab-test-no-kernel:1' });
    await assert.rejects(
      vm.start(),
      (e: unknown) => e instanceof ImageNotBootableError && /no kernel: there is no \/usr\/lib\/modules\/\$kver\/vmlinuz/.test(e.message),
    );
    await vm.stop();
    assert.equal(vm.proc, undefined);
    const cli = spawnSync(process.execPath, [CLI, 'boot', 'localhost/bootc-lab-test-no-kernel:1'], { encoding: 'utf8' });
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /has no kernel/);
  });

  it('reports and cleans up when QEMU dies mid-boot', async () => {
    const before = leftovers();
    const vm = new Vm({ image: IMAGE, memoryMb: 1024, cacheDir: CACHE });
    const states: string[] = [];
    vm.on('state', (e: { state: string }) => states.push(e.state));
    await vm.start();
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (states.includes('kernel')) {
          clearInterval(t);
          resolve();
        }
      }, 100);
    });
    process.kill(vm.proc?.pid ?? 0, 'SIGKILL');
    await assert.rejects(vm.waitFor('login', 60_000), /QEMU exited \(SIGKILL\) before the VM was ready/);
    assert.equal(vm.state, 'failed');
    assert.match(vm.tracker.failure ?? '', /QEMU exited \(SIGKILL\)/);
    const runtime = vm.runtimeDir;
    await vm.stop();
    assert.equal(fs.existsSync(runtime), false, 'sockets and runtime files removed');
    assert.equal(qemuProcesses(), '');
    assert.deepEqual(leftSince(before), { mounts: [], containers: [] });
  });
});
