import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseMeasureArgs } from '../../cli/src/measure-command';
import { bootMetrics, parseProbe, probeCommand, probeScript, shQuote, SPAWN_COUNT } from '../../core/src/measure/metrics';
import { runOrder, vmOptionsFor, type MeasureOptions } from '../../core/src/measure/run';
import type { BootRecord } from '../../core/src/vm/vm';

const sh = (args: string[]): { status: number | null; stdout: string; stderr: string } => spawnSync('sh', args, { encoding: 'utf8' });

describe('measure: plan and argv', () => {
  it('rotates the run order so every variant goes first equally often', () => {
    assert.deepEqual(
      runOrder(2, 3).map((s) => s.variant),
      [0, 1, 1, 0, 0, 1],
    );
    const three = runOrder(3, 3);
    assert.deepEqual(
      [0, 1, 2].map((r) => three[r * 3]?.variant),
      [0, 1, 2],
    );
    assert.equal(three.filter((s) => s.variant === 2).length, 3);
  });

  it('plain is a throwaway quick boot, quick gets a fresh machine state per run, install boots bootc install', () => {
    const o: MeasureOptions = {
      images: ['img'],
      modes: ['plain'],
      runs: 1,
      memoryMb: 1024,
      firmware: '/fw/code.fd',
      filesystem: 'ext4',
      installIn: 'vm',
      podmanPath: '/opt/podman',
    };
    const plain = vmOptionsFor('plain', 'img', o, '/w/run 1');
    assert.equal(plain.mode, 'quick');
    assert.equal(plain.machineDir, undefined);
    assert.equal(plain.firmware, undefined);
    assert.equal(plain.stateDir, '/w/run 1/vm');
    const quick = vmOptionsFor('quick', 'img', o, '/w/run 1');
    assert.equal(quick.mode, 'quick');
    assert.equal(quick.machineDir, '/w/run 1/machine');
    const install = vmOptionsFor('install', 'img', o, '/w/run 1');
    assert.equal(install.mode, 'install');
    assert.equal(install.firmware, '/fw/code.fd');
    assert.deepEqual([install.filesystem, install.installIn, plain.filesystem], ['ext4', 'vm', undefined]);
    assert.equal(install.podmanPath, '/opt/podman');
    assert.equal(install.memoryMb, 1024);
  });

  it('parses the CLI: modes, runs, --exec, --out format', () => {
    const a = parseMeasureArgs(['a:1', 'b:2', '--modes', 'plain,install', '--runs', '3', '--exec', 'echo hi', '--out', 'x.md']);
    assert.deepEqual(a.options.images, ['a:1', 'b:2']);
    assert.deepEqual(a.options.modes, ['plain', 'install']);
    assert.equal(a.options.runs, 3);
    assert.equal(a.options.exec, 'echo hi');
    assert.equal(a.format, 'markdown');
    const d = parseMeasureArgs(['a']);
    assert.deepEqual([d.options.modes, d.options.runs, d.format], [['plain', 'quick'], 5, 'json']);
    assert.throws(() => parseMeasureArgs(['a', '--modes', 'pxe']), /network boot is not in this build/);
    assert.throws(() => parseMeasureArgs(['a', '--modes', 'fast']), /expected plain, quick or install/);
    assert.throws(() => parseMeasureArgs(['a', '--runs', '0']), /--runs 0/);
    assert.throws(() => parseMeasureArgs(['a', '--filesystem', 'ext4']), /apply to --modes install/);
    assert.throws(() => parseMeasureArgs(['a', '--modes', 'install', '--install-in', 'x']), /--install-in x: expected auto, podman or vm/);
    const inst = parseMeasureArgs(['a', '--modes', 'install', '--filesystem', 'xfs', '--install-in', 'vm']);
    assert.deepEqual([inst.options.filesystem, inst.options.installIn], ['xfs', 'vm']);
    assert.throws(() => parseMeasureArgs([]), /at least one IMAGE/);
    assert.throws(() => parseMeasureArgs(['a', '--firmware', 'f']), /--firmware, --filesystem and --install-in apply to --modes install/);
  });
});

describe('measure: the guest probe', () => {
  it('quotes for the remote shell: any text survives a round trip', () => {
    for (const s of [`it's "quoted" $HOME \`x\` \\ ; | &`, '', 'a\nb']) {
      const r = sh(['-c', `printf %s ${shQuote(s)}`]);
      assert.equal(r.stdout, s);
    }
  });

  it('the script is valid sh, and the remote command line hands it over intact', () => {
    const script = probeScript({ settleSeconds: 5, exec: `echo "it's" > /tmp/x` });
    assert.equal(sh(['-n', '-c', script]).status, 0, sh(['-n', '-c', script]).stderr);
    // The remote side runs `sh -c '<script>'`: replacing sh by printf shows what sh would receive.
    const r = sh(['-c', probeCommand({ settleSeconds: 5, exec: `echo "it's" > /tmp/x` }).replace(/^sh -c /, 'printf %s ')]);
    assert.equal(r.stdout, script);
    assert.match(script, /^sleep 5$/m);
    assert.doesNotMatch(probeScript({ settleSeconds: 0 }), /exec_ns/);
  });

  it('parses the probe output into metrics with units', () => {
    const out = [
      'MemTotal:        2014000 kB',
      'MemAvailable:    1809200 kB',
      'system_slice_bytes=73400320',
      'du_kib=720896 /usr',
      'du_kib=2048 /etc',
      'du_kib=51200 /var',
      'blame: 2.612s systemd-networkd.service',
      'blame: 1.280s systemd-tmpfiles-setup.service',
      'blame:  640ms ostree-remount.service',
      'blame:  120ms bootc-status-updated.path',
      'usr_walk_ns=3500000000',
      'usr_lib_read_bytes=500000000',
      'usr_lib_read_ns=10000000000',
      'var_fsync_write_ns=45000000',
      `spawn_ns=${SPAWN_COUNT * 10_000_000}`,
      'exec_ns=1500000000',
      'exec_rc=3',
    ].join('\n');
    const p = parseProbe(out);
    assert.deepEqual(p.metrics, {
      mem_used_mib: 200,
      system_slice_mib: 70,
      usr_mib: 704,
      etc_mib: 2,
      var_mib: 50,
      usr_walk_s: 3.5,
      usr_lib_read_mb_s: 50,
      var_fsync_write_ms: 45,
      spawn_per_s: 100,
      exec_s: 1.5,
      tmpfiles_setup_s: 1.28,
    });
    assert.deepEqual(p.units, { tmpfilesSetup: true, ostree: ['ostree-remount.service'], bootc: ['bootc-status-updated.path'] });
    assert.equal(p.execExitCode, 3);
    assert.equal(p.blame[0]?.unit, 'systemd-networkd.service');
  });

  it('takes the phases from the boot record', () => {
    const rec = {
      systemdAnalyze: { kernel: 8.4, initrd: 3.1, userspace: 12.1, total: 23.6, raw: '' },
      states: [
        { state: 'starting', at: 0 },
        { state: 'login', at: 24.2 },
        { state: 'ssh', at: 28.9 },
      ],
      machine: { setupSeconds: 0.85 },
    } as unknown as BootRecord;
    assert.deepEqual(bootMetrics(rec), {
      kernel_s: 8.4,
      initrd_s: 3.1,
      userspace_s: 12.1,
      systemd_total_s: 23.6,
      login_s: 24.2,
      ssh_s: 28.9,
      machine_setup_s: 0.85,
    });
  });
});
