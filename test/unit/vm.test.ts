import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BootStateTracker } from '../../core/src/vm/boot-states';
import { findCloudInit, seedCommands } from '../../core/src/vm/cloud-init';
import { pruneCache, quickCacheKey } from '../../core/src/vm/prepare';
import { kvmUsable, overlayCommand, qemuCommand, quickAppend, smbiosCredential, sshKeyTmpfiles } from '../../core/src/vm/qemu';
import { parseBlame, parseSystemdAnalyze } from '../../core/src/vm/vm';

const base = {
  memoryMb: 1024,
  cpus: 2,
  sshPort: 40022,
  serialSocket: '/run/x/serial.sock',
  serialLog: '/var/x/console.log',
  qmpSocket: '/run/x/qmp.sock',
};

function argAfter(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('QEMU command lines', () => {
  it('quick boot under TCG: direct kernel, snapshot root disk, loopback-only SSH forward', () => {
    const { command, args } = qemuCommand({
      ...base,
      kvm: false,
      direct: { kernel: '/c/vmlinuz', initrd: '/c/initramfs.img', rootDisk: '/c/root,disk.img', append: quickAppend(['quiet']) },
    });
    assert.equal(command, 'qemu-system-x86_64');
    assert.deepEqual(argAfter(args, '-accel'), ['tcg']);
    assert.deepEqual(argAfter(args, '-cpu'), ['max']);
    assert.deepEqual(argAfter(args, '-kernel'), ['/c/vmlinuz']);
    assert.deepEqual(argAfter(args, '-append'), [
      'root=/dev/vda rw console=ttyS0,115200 panic=-1 systemd.journald.forward_to_console=0 quiet',
    ]);
    assert.ok(argAfter(args, '-drive').includes('file=/c/root,,disk.img,if=virtio,format=raw,snapshot=on'), 'commas in paths are doubled');
    const net = argAfter(args, '-netdev')[0] ?? '';
    assert.equal(net, 'user,id=n0,hostfwd=tcp:127.0.0.1:40022-:22');
    assert.ok(!args.some((a) => /hostfwd=tcp::|0\.0\.0\.0/.test(a)), 'never bound to all interfaces');
    assert.ok(argAfter(args, '-chardev')[0]?.includes('logfile=/var/x/console.log'));
    assert.deepEqual(argAfter(args, '-qmp'), ['unix:/run/x/qmp.sock,server=on,wait=off']);
    assert.ok(args.includes('-no-reboot'));
  });
  it('uses KVM with the host CPU when asked', () => {
    const { args } = qemuCommand({ ...base, kvm: true });
    assert.deepEqual(argAfter(args, '-accel'), ['kvm']);
    assert.deepEqual(argAfter(args, '-cpu'), ['host']);
  });
  it('install boot: UEFI pflash and a qcow2 overlay', () => {
    const { args } = qemuCommand({
      ...base,
      kvm: false,
      disk: { path: '/r/overlay.qcow2', format: 'qcow2', firmwareCode: '/usr/share/OVMF/OVMF_CODE_4M.fd', firmwareVars: '/r/OVMF_VARS.fd' },
    });
    assert.deepEqual(argAfter(args, '-drive'), [
      'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
      'if=pflash,format=raw,unit=1,file=/r/OVMF_VARS.fd',
      'file=/r/overlay.qcow2,if=virtio,format=qcow2',
    ]);
    assert.ok(!args.includes('-kernel'));
    assert.deepEqual(overlayCommand({ base: '/c/disk.raw', baseFormat: 'raw', overlay: '/r/o.qcow2' }).args, [
      'create',
      '-f',
      'qcow2',
      '-F',
      'raw',
      '-b',
      '/c/disk.raw',
      '/r/o.qcow2',
    ]);
  });
  it('encodes the SSH key as a systemd tmpfiles credential', () => {
    const tmpfiles = sshKeyTmpfiles('ssh-ed25519 AAAA bootc-lab');
    assert.equal(
      tmpfiles,
      `d /root/.ssh 0700 root root -\nf+~ /root/.ssh/authorized_keys 0600 root root - ${Buffer.from('ssh-ed25519 AAAA bootc-lab\n').toString('base64')}\n`,
    );
    const cred = smbiosCredential('tmpfiles.extra', tmpfiles);
    assert.ok(cred.startsWith('type=11,value=io.systemd.credential.binary:tmpfiles.extra='));
    assert.equal(Buffer.from(cred.split('=').slice(3).join('='), 'base64').toString('utf8'), tmpfiles);
    const { args } = qemuCommand({ ...base, kvm: false, credentials: { 'tmpfiles.extra': tmpfiles } });
    assert.deepEqual(argAfter(args, '-smbios'), [cred]);
  });
  it('detects unusable KVM and says why', () => {
    assert.match(kvmUsable('/nonexistent/kvm').reason ?? '', /does not exist/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-'));
    fs.writeFileSync(path.join(dir, 'kvm'), '');
    fs.writeFileSync(path.join(dir, 'cpuinfo'), 'flags : fpu sse2\n');
    assert.match(kvmUsable(path.join(dir, 'kvm'), path.join(dir, 'cpuinfo')).reason ?? '', /no hardware virtualisation/);
    fs.writeFileSync(path.join(dir, 'cpuinfo'), 'flags : fpu vmx sse2\n');
    assert.equal(kvmUsable(path.join(dir, 'kvm'), path.join(dir, 'cpuinfo')).usable, true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('cloud-init seed', () => {
  it('finds user-data and meta-data and writes a cidata volume', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-'));
    assert.equal(findCloudInit(dir), undefined);
    fs.writeFileSync(path.join(dir, 'user-data'), '#cloud-config\n');
    assert.deepEqual(findCloudInit(dir), { userData: path.join(dir, 'user-data'), metaData: undefined });
    fs.writeFileSync(path.join(dir, 'meta-data'), 'instance-id: x\n');
    assert.deepEqual(findCloudInit(path.join(dir, 'user-data')), {
      userData: path.join(dir, 'user-data'),
      metaData: path.join(dir, 'meta-data'),
    });
    fs.rmSync(dir, { recursive: true, force: true });
    const cmds = seedCommands('/r/seed.iso', '/r/cidata');
    assert.deepEqual(cmds[1], {
      command: 'genisoimage',
      args: ['-quiet', '-output', '/r/seed.iso', '-volid', 'cidata', '-joliet', '-rock', '/r/cidata/user-data', '/r/cidata/meta-data'],
    });
    const { args } = qemuCommand({ ...base, kvm: false, seedImage: '/r/seed.iso' });
    assert.ok(argAfter(args, '-drive').includes('file=/r/seed.iso,if=virtio,format=raw,readonly=on'));
  });
});

describe('boot states from recorded consoles', () => {
  const replay = (file: string): BootStateTracker => {
    let now = 0;
    const t = new BootStateTracker(() => now);
    const text = fs.readFileSync(path.join(__dirname, '../fixtures/console', file), 'utf8');
    // Feed in uneven chunks, as the serial log grows.
    for (let i = 0; i < text.length; i += 977) {
      now += 0.1;
      t.feed(text.slice(i, i + 977));
    }
    return t;
  };
  it('walks every phase of a real Debian boot in order', () => {
    const t = replay('debian-bookworm-tcg.log');
    assert.deepEqual(
      t.events.map((e) => e.state),
      ['starting', 'kernel', 'initrd', 'switch-root', 'userspace', 'login'],
    );
    assert.match(t.events.find((e) => e.state === 'login')?.line ?? '', /login:/);
    t.sshReady();
    assert.equal(t.state, 'ssh');
    const times = t.events.map((e) => e.at);
    assert.deepEqual(
      [...times].sort((a, b) => a - b),
      times,
    );
  });
  it('reports a boot that cannot find its root', () => {
    const t = replay('debian-wrong-root.log');
    assert.equal(t.state, 'failed');
    assert.match(t.failure ?? '', /Gave up waiting for root|does not exist/);
    assert.ok(!t.events.some((e) => e.state === 'login'));
  });
  it('reports a systemd that froze as PID 1 instead of waiting for SSH', () => {
    // Seen under TCG on a loaded machine, in the initrd of a Debian sid image (systemd 262).
    const t = new BootStateTracker(() => 1);
    t.feed('[  349.352597] systemd[1]: Running in initrd.\r\n');
    t.feed('[  519.415439] systemd[1]: Failed to fork off sandboxing environment for executing generators: Protocol error\r\n');
    t.feed('[\x1b[0;1;31m!!!!!!\x1b[0m] Failed to start up manager.\r\n[  522.334362] systemd[1]: Freezing execution.\r\n');
    assert.equal(t.state, 'failed');
    assert.match(t.failure ?? '', /Failed to start up manager/);
  });
  it('spots a login prompt without a trailing newline', () => {
    const t = new BootStateTracker(() => 1);
    t.feed('[  OK  ] Reached target multi-user.target\n\nDebian GNU/Linux 12 vm ttyS0\n\nvm login: ');
    assert.equal(t.state, 'login');
  });
});

describe('boot record parsing and caches', () => {
  it('parses systemd-analyze and blame', () => {
    assert.deepEqual(
      parseSystemdAnalyze(
        'Startup finished in 8.433s (kernel) + 12.084s (userspace) = 20.517s\ngraphical.target reached after 12.0s in userspace\n',
      ),
      {
        raw: 'Startup finished in 8.433s (kernel) + 12.084s (userspace) = 20.517s',
        kernel: 8.433,
        userspace: 12.084,
        total: 20.517,
      },
    );
    const a = parseSystemdAnalyze(
      'Startup finished in 1.2s (firmware) + 500ms (loader) + 2.1s (kernel) + 3.5s (initrd) + 1min 2.250s (userspace) = 1min 9.550s',
    );
    assert.deepEqual([a.firmware, a.loader, a.kernel, a.initrd, a.userspace, a.total], [1.2, 0.5, 2.1, 3.5, 62.25, 69.55]);
    assert.deepEqual(parseBlame('2.647s systemd-networkd.service\n 905ms ssh.service\n1min 1.5s slow.service\n'), [
      { unit: 'systemd-networkd.service', seconds: 2.647 },
      { unit: 'ssh.service', seconds: 0.905 },
      { unit: 'slow.service', seconds: 61.5 },
    ]);
  });
  it('keys the quick cache by image ID', () => {
    assert.equal(quickCacheKey('abc'), quickCacheKey('abc'));
    assert.notEqual(quickCacheKey('abc'), quickCacheKey('abd'));
  });
  it('prunes the least recently used cache entries over the limit', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-cache-'));
    for (const [n, age] of [
      ['old', 3000],
      ['mid', 2000],
      ['new', 1000],
    ] as const) {
      const d = path.join(dir, n);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'root.img'), Buffer.alloc(64 * 1024, 1));
      fs.writeFileSync(path.join(d, 'meta.json'), '{}');
      const t = new Date(Date.now() - age * 1000);
      fs.utimesSync(path.join(d, 'meta.json'), t, t);
    }
    const removed = pruneCache(150 * 1024, dir);
    assert.deepEqual(
      removed.map((r) => path.basename(r)),
      ['old'],
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ['mid', 'new']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
