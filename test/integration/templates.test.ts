import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { runBuild } from '../../core/src/podman/run-build';
import { ISOLATION, requirePodman } from './base-images';
import { DEBIAN_BASE, ensureDebianBase } from './debian-base';

const CLI = path.join(__dirname, '../../dist/cli.js');
const IMAGE = 'localhost/bootc-lab-test-tmpl-kvm-host:1';

function requireQemu(): void {
  for (const c of ['qemu-system-x86_64', 'mkfs.ext4', 'ssh', 'ssh-keygen']) {
    const r = spawnSync('sh', ['-c', `command -v ${c}`]);
    if (r.status !== 0) throw new Error(`${c} is required (apt-get install qemu-system-x86 qemu-utils e2fsprogs openssh-client)`);
  }
}

/** `key=value` lines the guest prints, so each check is read on its own. */
function fields(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m?.[1]) out.set(m[1], m[2] ?? '');
  }
  return out;
}

// This machine's OCI runtime refuses rlimits: runc with explicit ulimits works for podman run (see README).
const RUN_ARGS = ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

describe('debian-kvm-host template: built here from the Debian test base with BOOTC=none, quick-booted', { timeout: 4_500_000 }, () => {
  let dir: string;
  const buildLog: string[] = [];
  before(async () => {
    requirePodman();
    requireQemu();
    await initShellParser();
    ensureDebianBase((s) => process.stderr.write(`${s}\n`));
    // Written by `bootc-lab init`, as a user would get it.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-tmpl-'));
    const init = spawnSync(process.execPath, [CLI, 'init', '--template', 'debian-kvm-host', dir], { encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    const file = path.join(dir, 'Containerfile');
    const res = await runBuild({
      file,
      context: dir,
      tag: IMAGE,
      isolation: ISOLATION,
      // The test base is bookworm; the template's default is trixie. Both must work.
      buildArgs: { BASE: DEBIAN_BASE, BOOTC: 'none' },
      model: buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`),
      onLine: (l) => buildLog.push(l),
    });
    assert.ok(res.ok, `build of the template failed: ${res.failure?.tail}`);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('skips the lint step openly for BOOTC=none, and runs it otherwise', () => {
    // The build's own output shows the step only when it was not taken from the layer cache, so the
    // step's command is also run here in the built image, with each value of BOOTC.
    const text = fs.readFileSync(path.join(dir, 'Containerfile'), 'utf8').trimEnd().split('\n').at(-1) ?? '';
    assert.match(text, /^RUN .*bootc container lint/, 'the lint step is the last instruction');
    const step = (bootc: string) =>
      spawnSync(
        'podman',
        ['run', '--rm', ...RUN_ARGS, '-e', `BOOTC=${bootc}`, '--entrypoint', '/bin/sh', IMAGE, '-c', text.replace(/^RUN /, '')],
        { encoding: 'utf8' },
      );
    const none = step('none');
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /^bootc container lint skipped: BOOTC=none/m, 'the step says the lint was skipped and why');
    if (!buildLog.some((l) => /Using cache/.test(l)))
      assert.ok(
        buildLog.some((l) => /^bootc container lint skipped: BOOTC=none/.test(l)),
        'the build printed it too',
      );
    // This image has no bootc: with BOOTC=build the step runs the lint and fails, nothing swallows it.
    const build = step('build');
    assert.notEqual(build.status, 0, 'a failing lint fails the step');
    assert.doesNotMatch(build.stdout, /skipped/);
  });

  it('ships the bootc layout, dpkg in /usr, and no SSH host key', () => {
    const mount = spawnSync('podman', ['image', 'mount', IMAGE], { encoding: 'utf8' });
    assert.equal(mount.status, 0, mount.stderr);
    const root = mount.stdout.trim();
    try {
      const kvers = fs.readdirSync(path.join(root, 'usr/lib/modules'));
      assert.equal(kvers.length, 1, kvers.join(' '));
      for (const f of ['vmlinuz', 'initramfs.img']) assert.ok(fs.existsSync(path.join(root, 'usr/lib/modules', kvers[0] ?? '', f)), f);
      assert.ok(fs.existsSync(path.join(root, 'usr/lib/sysimage/dpkg/status')));
      assert.equal(fs.readlinkSync(path.join(root, 'var/lib/dpkg')), '../../usr/lib/sysimage/dpkg');
      for (const [link, target] of [
        ['root', 'var/roothome'],
        ['home', 'var/home'],
        ['ostree', 'sysroot/ostree'],
      ])
        assert.equal(fs.readlinkSync(path.join(root, link ?? '')), target);
      assert.deepEqual(
        fs.readdirSync(path.join(root, 'etc/ssh')).filter((f) => f.startsWith('ssh_host_')),
        [],
      );
      assert.ok(!fs.existsSync(path.join(root, 'usr/bin/bootc')), 'BOOTC=none builds no bootc');
    } finally {
      spawnSync('podman', ['image', 'unmount', IMAGE]);
    }
  });

  // Booted alone under TCG this takes a few minutes; on a shared, loaded machine first-boot RSA host-key
  // generation alone took 8 min, hence the long timeout.
  it('boots to a KVM host: libvirtd active, virsh answers, a qemu domain type, br0 over the NIC', () => {
    const script = [
      'echo libvirtd=$(systemctl is-active libvirtd)',
      'echo ssh=$(systemctl is-active ssh)',
      'echo virsh_list=$(virsh -c qemu:///system list >/dev/null 2>&1 && echo ok || echo failed)',
      'echo qemu_domain=$(virsh -c qemu:///system capabilities | grep -c "<domain type=\'qemu\'")',
      'echo br0=$(ip -br link show br0 | cut -d" " -f1)',
      'echo br0_ports=$(ip -br link show master br0 | cut -d" " -f1 | cut -d@ -f1)',
      'echo br0_addr=$(ip -4 -br addr show br0 | tr -s " " | cut -d" " -f3)',
      'echo qemu_dir_owner=$(stat -c %U /var/lib/libvirt/qemu)',
      'echo roothome=$(readlink -f /root)',
      'echo initrd_ostree=$(lsinitrd /usr/lib/modules/$(uname -r)/initramfs.img | grep -c ostree-prepare-root)',
      'echo failed_units=$(systemctl --failed --no-legend --plain | cut -d" " -f1 | tr "\\n" " ")',
    ].join('; ');
    const r = spawnSync(process.execPath, [CLI, 'boot', IMAGE, '--exec', script, '--timeout', '2400', '--memory', '1536', '--json'], {
      encoding: 'utf8',
      timeout: 1_800_000,
    });
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    const rec = JSON.parse(r.stdout) as { exec: { exitCode: number; stdout: string }; states: { state: string; at: number }[] };
    const f = fields(rec.exec.stdout);
    process.stderr.write(`guest: ${JSON.stringify(Object.fromEntries(f))}\nstates: ${JSON.stringify(rec.states)}\n`);
    assert.equal(f.get('libvirtd'), 'active');
    assert.equal(f.get('ssh'), 'active');
    assert.equal(f.get('virsh_list'), 'ok');
    assert.ok(Number(f.get('qemu_domain')) >= 1, rec.exec.stdout);
    assert.equal(f.get('br0'), 'br0');
    assert.match(f.get('br0_ports') ?? '', /^(en|eth)\w+$/, 'the wired NIC is br0’s port');
    assert.match(f.get('br0_addr') ?? '', /^10\.0\.2\.\d+\/24$/, 'br0 has the DHCP address');
    assert.equal(f.get('qemu_dir_owner'), 'libvirt-qemu');
    assert.equal(f.get('roothome'), '/var/roothome');
    assert.ok(Number(f.get('initrd_ostree')) >= 1, 'the initramfs has ostree-prepare-root');
  });
});
