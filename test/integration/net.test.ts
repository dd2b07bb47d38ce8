import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { runBuild } from '../../core/src/podman/run-build';
import { ISOLATION, requirePodman } from './base-images';
import { ensureDebianBase } from './debian-base';
import { ensureLibvirtd, stopLibvirtd } from './libvirtd';

const FIX = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '../../dist/cli.js');
const VM_IMAGE = 'localhost/bootc-lab-test-net-vm:1';
const LIVE_IMAGE = 'localhost/bootc-lab-test-net-live:1';
const DOMAIN = 'bootc-lab-test-net-detached';
const URI = 'qemu:///system';

function need(cmds: string[], pkgs: string): void {
  for (const c of cmds)
    if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0)
      throw new Error(`${c} is required for the network tests (apt-get install ${pkgs})`);
}

async function buildFixture(name: string, tag: string): Promise<void> {
  const file = path.join(FIX, name, 'Containerfile');
  const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const res = await runBuild({ file, context: path.dirname(file), tag, isolation: ISOLATION, model });
  assert.ok(res.ok, `build of ${name} failed: ${res.failure?.tail}`);
}

function cli(args: string[], timeoutMs = 1_500_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function virsh(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('virsh', ['-q', '-c', URI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim() };
}

let started: number[] = [];

const SSH = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];
const DISKLESS_CHECK =
  'findmnt -no FSTYPE /; findmnt -rn -t squashfs -o FSTYPE | head -n 1; echo disks=$(lsblk -dn -o TYPE | grep -c disk)';

function assertDiskless(stdout: string): void {
  const [rootFs, lower, disks] = stdout.trim().split('\n');
  assert.equal(rootFs, 'overlay', `root is an overlay: ${stdout}`);
  assert.equal(lower, 'squashfs', `a squashfs is mounted under it: ${stdout}`);
  assert.equal(disks, 'disks=0', `no block device: ${stdout}`);
}

describe('libvirt domains and network boot (TCG here)', { timeout: 5_400_000 }, () => {
  before(async () => {
    requirePodman();
    need(['qemu-system-x86_64', 'qemu-img', 'mksquashfs', 'ssh', 'ssh-keygen'], 'qemu-system-x86 qemu-utils squashfs-tools openssh-client');
    need(['virsh', 'libvirtd', 'virtlogd'], 'libvirt-daemon-system libvirt-clients');
    assert.ok(fs.existsSync('/usr/lib/ipxe/qemu/efi-virtio.rom'), 'ipxe-qemu is required for network boot (apt-get install ipxe-qemu)');
    await initShellParser();
    ensureDebianBase((s) => process.stderr.write(`${s}\n`));
    await buildFixture('debian-vm', VM_IMAGE);
    await buildFixture('pxe-live', LIVE_IMAGE);
    started = ensureLibvirtd();
    if (virsh(['domstate', DOMAIN]).status === 0) cli(['vm', 'rm', DOMAIN]);
  });

  after(() => {
    if (virsh(['domstate', DOMAIN]).status === 0) cli(['vm', 'rm', DOMAIN]);
    stopLibvirtd(started);
  });

  it('a --detach libvirt VM outlives the command, and bootc-lab vm lists, stops and removes it', () => {
    const t0 = Date.now();
    const r = cli([
      'boot',
      VM_IMAGE,
      '--backend',
      'libvirt',
      '--name',
      DOMAIN,
      '--detach',
      '--memory',
      '1024',
      '--timeout',
      '1200',
      '--json',
    ]);
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    const rec = JSON.parse(r.stdout) as { detached: boolean; sshPort: number; privateKey: string; states: { state: string; at: number }[] };
    process.stderr.write(`libvirt boot to SSH: ${rec.states.at(-1)?.at} s after start (${(Date.now() - t0) / 1000} s with preparation)\n`);
    assert.equal(rec.detached, true);
    assert.equal(rec.states.at(-1)?.state, 'ssh');
    // The command has exited: the domain is still running and answers SSH.
    assert.equal(virsh(['domstate', DOMAIN]).stdout, 'running');
    const ssh = spawnSync(
      'ssh',
      [...SSH, '-i', rec.privateKey, '-p', String(rec.sshPort), 'root@127.0.0.1', '--', 'cat /etc/debian_version'],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(ssh.status, 0, ssh.stderr);
    assert.match(ssh.stdout, /^12\.\d+/);
    const xml = virsh(['dumpxml', DOMAIN]).stdout;
    assert.match(xml, /hostfwd=tcp:127\.0\.0\.1:\d+-:22/, 'SSH is forwarded on 127.0.0.1 only');

    const list = cli(['vm', 'list', '--json']);
    assert.equal(list.status, 0, list.stderr);
    const mine = (JSON.parse(list.stdout) as { name: string; state: string; meta: { dir: string; image: string } }[]).find(
      (d) => d.name === DOMAIN,
    );
    assert.ok(mine, list.stdout);
    assert.equal(mine.state, 'running');
    assert.equal(mine.meta.image, VM_IMAGE);
    assert.ok(fs.existsSync(path.join(mine.meta.dir, 'disk.qcow2')));

    const stop = cli(['vm', 'stop', DOMAIN]);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(virsh(['domstate', DOMAIN]).stdout, 'shut off');

    const rm = cli(['vm', 'rm', DOMAIN]);
    assert.equal(rm.status, 0, rm.stderr);
    assert.notEqual(virsh(['domstate', DOMAIN]).status, 0, 'the domain is undefined');
    assert.equal(fs.existsSync(mine.meta.dir), false, 'its disks are deleted');
    assert.ok(!cli(['vm', 'list']).stdout.includes(DOMAIN));
  });

  it('refuses to network-boot an image without a live module, before booting, naming the package', () => {
    const r = cli(['boot', VM_IMAGE, '--mode', 'pxe'], 600_000);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot boot over the network: .*apt-get install live-boot/);
    assert.doesNotMatch(r.stderr, /qemu-system-x86_64 /);
  });

  it('boots the live-boot image diskless over iPXE + HTTP: root is an overlay over squashfs, no block device', () => {
    const t0 = Date.now();
    const r = cli(['boot', LIVE_IMAGE, '--mode', 'pxe', '--memory', '2048', '--timeout', '1500', '--exec', DISKLESS_CHECK, '--json']);
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
    const rec = JSON.parse(r.stdout) as { exec: { stdout: string }; states: { state: string; at: number }[]; mode: string };
    process.stderr.write(`pxe boot to SSH: ${rec.states.at(-1)?.at} s after start (${(Date.now() - t0) / 1000} s with preparation)\n`);
    assert.equal(rec.mode, 'pxe');
    assertDiskless(rec.exec.stdout);
  });

  it('export pxe writes a checksummed tree that boots the same way', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-net-export-')), 'tree with space');
    try {
      const r = cli(['export', 'pxe', LIVE_IMAGE, dir, '--base-url', 'http://pxe.example/bootc/']);
      assert.equal(r.status, 0, r.stderr);
      for (const f of [
        'images/pxeboot/vmlinuz',
        'images/pxeboot/initrd.img',
        'live/filesystem.squashfs',
        'boot.ipxe',
        'pxelinux.cfg/default',
        'grub.cfg',
      ])
        assert.ok(fs.existsSync(path.join(dir, f)), f);
      const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
      assert.equal(sums.status, 0, sums.stdout + sums.stderr);
      assert.match(
        fs.readFileSync(path.join(dir, 'pxelinux.cfg/default'), 'utf8'),
        /fetch=http:\/\/pxe\.example\/bootc\/live\/filesystem\.squashfs/,
      );
      const b = cli([
        'boot',
        LIVE_IMAGE,
        '--mode',
        'pxe',
        '--pxe-tree',
        dir,
        '--memory',
        '2048',
        '--timeout',
        '1500',
        '--exec',
        DISKLESS_CHECK,
        '--json',
      ]);
      assert.equal(b.status, 0, `${b.stderr}\n${b.stdout.slice(-3000)}`);
      assertDiskless((JSON.parse(b.stdout) as { exec: { stdout: string } }).exec.stdout);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
