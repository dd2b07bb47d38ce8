import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { MACHINE_SHIM, SHIM_MARKER } from '../../core/src/vm/machine-shim';
import {
  applyBoot,
  bootKind,
  describeDeployments,
  emptyState,
  lockMachine,
  readMachineState,
  writeMachineState,
  type MachineState,
} from '../../core/src/vm/machine-state';
import { qemuCommand, quickAppend } from '../../core/src/vm/qemu';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function boot(s: MachineState, imageId: string, image = `img:${imageId[0] ?? ''}`): MachineState {
  return applyBoot(s, bootKind(s, imageId), image, imageId, new Date('2026-11-30T12:00:00Z'));
}

describe('machine state bookkeeping', () => {
  it('first boot, upgrade, rollback, reboot, and a switch to a pruned deployment', () => {
    let s = emptyState();
    assert.equal(bootKind(s, A), 'first-boot');
    s = boot(s, A);
    assert.equal(s.booted?.imageId, A);
    assert.equal(s.previous, undefined);
    assert.equal(bootKind(s, A), 'reboot');
    assert.equal(bootKind(s, B), 'upgrade');
    s = boot(s, B);
    assert.deepEqual([s.booted?.imageId, s.previous?.imageId], [B, A]);
    assert.equal(bootKind(s, A), 'rollback');
    s = boot(s, A);
    assert.deepEqual([s.booted?.imageId, s.previous?.imageId], [A, B], 'a rollback swaps booted and previous, as bootc rollback does');
    assert.equal(s.booted?.deployedAt, s.history[0]?.at, 'the rolled-back-to deployment is the one made at first boot');
    s = boot(s, C);
    assert.deepEqual([s.booted?.imageId, s.previous?.imageId], [C, A]);
    // B was pruned (bootc keeps two deployments): booting it again is a new deployment, merged from C.
    assert.equal(bootKind(s, B), 'upgrade');
    assert.deepEqual(
      s.history.map((h) => `${h.kind}:${h.imageId[0] ?? ''}${h.from ? `<${h.from[0] ?? ''}` : ''}`),
      ['first-boot:a', 'upgrade:b<a', 'rollback:a<b', 'upgrade:c<a'],
    );
    assert.deepEqual(
      describeDeployments(s).map((d) => d.role),
      ['booted', 'previous'],
    );
  });

  it('with redeploy, the previous image is a bootc switch (a new deployment), not a rollback', () => {
    let s = boot(boot(emptyState(), A), B);
    assert.equal(bootKind(s, A), 'rollback');
    assert.equal(bootKind(s, A, true), 'upgrade');
    assert.equal(bootKind(s, B, true), 'reboot');
    assert.equal(bootKind(s, C, true), 'upgrade');
    s = applyBoot(s, bootKind(s, A, true), 'img:a', A, new Date('2026-11-30T13:00:00Z'));
    assert.deepEqual([s.booted?.imageId, s.previous?.imageId], [A, B]);
    assert.notEqual(s.booted?.deployedAt, s.history[0]?.at, 'a new deployment, not the one made at first boot');
  });

  it('reads and writes deployments.json, and rejects an unknown version', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-unit-'));
    try {
      assert.deepEqual(readMachineState(dir), emptyState());
      const s = boot(boot(emptyState(), A), B);
      writeMachineState(dir, s);
      assert.deepEqual(readMachineState(dir), s);
      fs.writeFileSync(path.join(dir, 'deployments.json'), '{"version": 9}');
      assert.throws(() => readMachineState(dir), /unknown version 9/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('locks a state for one VM, in this process and across processes; a dead owner’s lock is taken over', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-unit-'));
    const lock = path.join(dir, 'lock');
    try {
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      fs.writeFileSync(lock, `${child.stdout}\n`);
      const release = lockMachine(dir);
      assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(process.pid));
      assert.throws(() => lockMachine(dir), /in use by another VM/, 'a second VM of the same extension host');
      release();
      assert.equal(fs.existsSync(lock), false);
      fs.writeFileSync(lock, `${process.ppid}\n`);
      assert.throws(() => lockMachine(dir), /in use by another VM \(process \d+\)/, 'a live process of another CLI');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('boots a machine read-only through the shim, with the state disk second', () => {
    assert.match(quickAppend([], true), /^root=\/dev\/vda ro init=\/\.bootc-lab\/init /);
    assert.doesNotMatch(quickAppend([], true), /redeploy/);
    assert.match(quickAppend([], true, true), /^root=\/dev\/vda ro init=\/\.bootc-lab\/init bootc_lab\.redeploy /);
    assert.doesNotMatch(quickAppend([], false, true), /redeploy/);
    assert.match(quickAppend([]), /^root=\/dev\/vda rw /);
    const args = qemuCommand({
      memoryMb: 1024,
      cpus: 1,
      kvm: false,
      direct: { kernel: 'k', initrd: 'i', rootDisk: '/c/root.img', append: 'x', stateDisk: '/s/my, machine/state.img' },
      sshPort: 2222,
      serialSocket: 's',
      serialLog: 'l',
      qmpSocket: 'q',
    }).args.join(' ');
    assert.match(
      args,
      /file=\/c\/root\.img,if=none,id=root,format=raw,readonly=on -device virtio-blk-pci,drive=root -drive file=\/s\/my,, machine\/state\.img,if=none,id=state/,
    );
    assert.doesNotMatch(args, /snapshot=on/);
  });
});

describe('the machine shim', () => {
  const shim = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-shim-')), 'init');
  fs.writeFileSync(shim, MACHINE_SHIM);
  after(() => fs.rmSync(path.dirname(shim), { recursive: true, force: true }));

  it('is valid POSIX sh and announces what it did in the form the host parses', () => {
    const n = spawnSync('sh', ['-n', shim], { encoding: 'utf8' });
    assert.equal(n.status, 0, n.stderr);
    // The guest's own line, printed by the shim's say command with sample values, must parse on the host.
    const sayLine = /^\s*say "machine state: \$kind.*$/m.exec(MACHINE_SHIM)?.[0] ?? 'false';
    const r = spawnSync('sh', ['-c', `say() { echo "bootc-lab: $*"; }; kind=upgrade id=${B} from=" from ${A}" t=1207; ${sayLine}`], {
      encoding: 'utf8',
    });
    const m = SHIM_MARKER.exec(`[  3.1] foo\r\n${r.stdout.trim()}\r\n`);
    assert.deepEqual([m?.[1], m?.[2], m?.[3], m?.[4]], ['upgrade', B, A, '12.07']);
    const up = spawnSync('sh', ['-c', `${/^now_cs\(\) \{[\s\S]*?^\}/m.exec(MACHINE_SHIM)?.[0] ?? ''}\nnow_cs`], { encoding: 'utf8' });
    const cs = Number(up.stdout.trim());
    const real = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
    assert.ok(Math.abs(cs - real) < 200, `now_cs ${up.stdout} ${up.stderr} vs /proc/uptime ${real}`);
  });

  it('decides the boot kind as the host does, and redeploys the rollback image when the command line asks', () => {
    const fn = /^boot_kind\(\) \{[\s\S]*?^\}/m.exec(MACHINE_SHIM)?.[0];
    assert.ok(fn, 'boot_kind is in the shim');
    const t = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-kind '));
    try {
      fs.mkdirSync(path.join(t, 'deploy', A), { recursive: true });
      const kind = (id: string, booted: string, cmdline: string): string =>
        spawnSync('sh', ['-c', `${fn}\nboot_kind "$@"`, 'sh', t, id, booted, cmdline], { encoding: 'utf8' }).stdout.trim();
      const line = 'root=/dev/vda ro init=/.bootc-lab/init';
      assert.equal(kind(A, '', line), 'first-boot');
      assert.equal(kind(A, A, line), 'reboot');
      assert.equal(kind(B, A, line), 'upgrade');
      assert.equal(kind(A, B, line), 'rollback');
      assert.equal(kind(A, B, quickAppend([], true, true)), 'upgrade');
      assert.equal(kind(A, B, `${line} bootc_lab.redeployed`), 'rollback', 'a whole word only');
      assert.equal(kind(A, A, quickAppend([], true, true)), 'reboot');
    } finally {
      fs.rmSync(t, { recursive: true, force: true });
    }
  });

  it('hands the credentials systemd imported in the initrd on to the real init, and only those', () => {
    const fn = /^pass_credentials\(\) \{[\s\S]*?^\}/m.exec(MACHINE_SHIM)?.[0];
    assert.ok(fn, 'pass_credentials is in the shim');
    const t = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-creds '));
    try {
      const env = (creds: string, extra: Record<string, string> = {}): string[] => {
        const r = spawnSync(
          'sh',
          ['-c', `${fn}\npass_credentials "$1"; echo "$CREDENTIALS_DIRECTORY|$ENCRYPTED_CREDENTIALS_DIRECTORY"`, 'sh', creds],
          {
            encoding: 'utf8',
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra },
          },
        );
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim().split('|');
      };
      // An initramfs-tools boot: no credentials directory, the host's systemd imports them itself.
      assert.deepEqual(env(t), ['', '']);
      fs.mkdirSync(path.join(t, '@system'));
      assert.deepEqual(env(t), [`${t}/@system`, '']);
      fs.mkdirSync(path.join(t, '@encrypted'));
      assert.deepEqual(env(t), [`${t}/@system`, `${t}/@encrypted`]);
      // Set by whoever started the shim: left alone.
      assert.deepEqual(env(t, { CREDENTIALS_DIRECTORY: '/elsewhere' }), ['/elsewhere', `${t}/@encrypted`]);
    } finally {
      fs.rmSync(t, { recursive: true, force: true });
    }
  });

  it('merges /etc the ostree way: local changes, additions and deletions kept, the rest from the new image', () => {
    const t = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-merge '));
    try {
      const def = path.join(t, 'old defaults');
      const old = path.join(t, 'machine etc');
      const neu = path.join(t, 'new etc');
      const w = (root: string, f: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        fs.writeFileSync(path.join(root, f), text);
      };
      for (const [f, v] of [
        ['edited.conf', 'edited v1'],
        ['unedited.conf', 'unedited v1'],
        ['deleted.conf', 'deleted v1'],
        ['touched.conf', 'touched v1'],
        ['mode.conf', 'mode v1'],
        ['sub dir/nested.conf', 'nested v1'],
      ])
        w(def, f ?? '', v ?? '');
      fs.symlinkSync('unedited.conf', path.join(def, 'link'));
      fs.cpSync(def, old, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      w(old, 'edited.conf', 'local');
      w(old, 'added file.conf', 'added');
      w(old, 'new dir/inside.conf', 'inside');
      fs.rmSync(path.join(old, 'deleted.conf'));
      fs.utimesSync(path.join(old, 'touched.conf'), new Date('2020-01-01'), new Date('2020-01-01'));
      fs.chmodSync(path.join(old, 'mode.conf'), 0o600);
      fs.rmSync(path.join(old, 'link'));
      fs.symlinkSync('edited.conf', path.join(old, 'link'));
      for (const [f, v] of [
        ['edited.conf', 'edited v2'],
        ['unedited.conf', 'unedited v2'],
        ['deleted.conf', 'deleted v2'],
        ['touched.conf', 'touched v2'],
        ['mode.conf', 'mode v2'],
        ['sub dir/nested.conf', 'nested v2'],
        ['v2-only.conf', 'v2 only'],
      ])
        w(neu, f ?? '', v ?? '');
      fs.symlinkSync('unedited.conf', path.join(neu, 'link'));

      const r = spawnSync('sh', [shim, '--merge', def, old, neu], { encoding: 'utf8', env: { ...process.env, TMPDIR: t } });
      assert.equal(r.status, 0, r.stderr);
      const read = (f: string): string => (fs.existsSync(path.join(neu, f)) ? fs.readFileSync(path.join(neu, f), 'utf8') : 'ABSENT');
      assert.equal(read('edited.conf'), 'local');
      assert.equal(read('unedited.conf'), 'unedited v2');
      assert.equal(read('deleted.conf'), 'ABSENT');
      assert.equal(read('touched.conf'), 'touched v2', 'a file touched but not changed takes the new default (content, not mtime)');
      assert.equal(read('mode.conf'), 'mode v1', 'a permission change is a local change');
      assert.equal(fs.statSync(path.join(neu, 'mode.conf')).mode & 0o777, 0o600);
      assert.equal(read('sub dir/nested.conf'), 'nested v2');
      assert.equal(read('v2-only.conf'), 'v2 only');
      assert.equal(read('added file.conf'), 'added');
      assert.equal(read('new dir/inside.conf'), 'inside');
      assert.equal(fs.readlinkSync(path.join(neu, 'link')), 'edited.conf', 'a retargeted symlink is a local change');
      assert.deepEqual(
        fs.readdirSync(t).filter((n) => n.startsWith('bootc-lab-merge')),
        [],
        'the merge cleans up its work files',
      );
    } finally {
      fs.rmSync(t, { recursive: true, force: true });
    }
  });
});
