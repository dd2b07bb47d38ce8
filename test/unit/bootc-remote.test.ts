import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  bootcRollbackArgv,
  bootcStatusArgv,
  bootcSwitchArgv,
  bootcUpgradeArgv,
  guestArchivePath,
  parseBootcStatus,
  remoteShellCommand,
  saveArchiveCommand,
  upgradeSteps,
} from '../../core/src/vm/bootc-remote';

const FIX = path.join(__dirname, '../fixtures/bootc-status');
const read = (f: string): string => fs.readFileSync(path.join(FIX, f), 'utf8');

describe('install mode: bootc over SSH (recorded output; no bootc runs here)', () => {
  it('builds the argv of switch, upgrade, rollback and status', () => {
    assert.deepEqual(bootcSwitchArgv({ transport: 'containers-storage', image: 'localhost/app:2' }), [
      'bootc',
      'switch',
      '--transport',
      'containers-storage',
      'localhost/app:2',
    ]);
    assert.deepEqual(bootcSwitchArgv({ transport: 'oci-archive', image: '/var/tmp/x.ociarchive', apply: true, retain: true }), [
      'bootc',
      'switch',
      '--transport',
      'oci-archive',
      '--retain',
      '--apply',
      '/var/tmp/x.ociarchive',
    ]);
    assert.deepEqual(bootcUpgradeArgv(), ['bootc', 'upgrade']);
    assert.deepEqual(bootcUpgradeArgv({ check: true }), ['bootc', 'upgrade', '--check']);
    assert.deepEqual(bootcRollbackArgv({ apply: true }), ['bootc', 'rollback', '--apply']);
    assert.deepEqual(bootcStatusArgv(), ['bootc', 'status', '--format', 'json']);
  });

  it('copies each image in under its own name, so a switch is never to the same reference', () => {
    const a = guestArchivePath('sha256:' + '1'.repeat(64));
    assert.equal(a, '/var/tmp/bootc-lab/111111111111.ociarchive');
    assert.notEqual(a, guestArchivePath('2'.repeat(64)));
    assert.deepEqual(saveArchiveCommand({ image: 'localhost/app:2', out: '/tmp/my dir/a.tar' }).args, [
      'save',
      '--format',
      'oci-archive',
      '-o',
      '/tmp/my dir/a.tar',
      'localhost/app:2',
    ]);
    assert.deepEqual(upgradeSteps(a), [
      ['mkdir', '-p', '/var/tmp/bootc-lab'],
      ['bootc', 'switch', '--transport', 'oci-archive', a],
    ]);
    assert.equal(remoteShellCommand(['bootc', 'switch', "/var/tmp/it's here"]), `bootc switch '/var/tmp/it'\\''s here'`);
  });

  it('parses a freshly installed host: booted only', () => {
    const s = parseBootcStatus(read('installed.json'));
    assert.equal(s.apiVersion, 'org.containers.bootc/v1');
    assert.deepEqual(s.specImage, { image: 'localhost/app:1', transport: 'containers-storage' });
    assert.equal(s.booted?.image, 'localhost/app:1');
    assert.equal(s.booted?.imageDigest, 'sha256:' + '1'.repeat(64));
    assert.equal(s.booted?.checksum, 'a'.repeat(64));
    assert.equal(s.booted?.version, '1');
    assert.equal(s.staged, undefined);
    assert.equal(s.rollback, undefined);
  });

  it('parses what the real bootc 1.16.9 printed on a composefs-backend install (systemd-boot), booted by bootc Lab', () => {
    const s = parseBootcStatus(read('real-1.16.9-composefs.json'));
    assert.deepEqual(s.specImage, { image: 'localhost/bootc-real-sid:1', transport: 'containers-storage' });
    assert.equal(s.booted?.image, 'localhost/bootc-real-sid:1');
    assert.equal(s.booted?.transport, 'containers-storage');
    assert.match(s.booted?.imageDigest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(s.booted?.checksum, undefined, 'no ostree commit on the composefs backend');
    assert.match(s.booted?.composefsVerity ?? '', /^[0-9a-f]{128}$/);
    assert.equal(s.booted?.bootloader, 'systemd');
    assert.equal(s.booted?.version, undefined, 'version: null');
    assert.equal(s.staged, undefined);
    assert.equal(s.rollback, undefined);
  });

  it('parses a switched host (staged for the next boot) and the upgraded host (rollback = the old one)', () => {
    const staged = parseBootcStatus(read('staged.json'));
    assert.equal(staged.staged?.transport, 'oci-archive');
    assert.equal(staged.staged?.imageDigest, 'sha256:' + '2'.repeat(64));
    assert.equal(staged.booted?.image, 'localhost/app:1');
    const up = parseBootcStatus(read('upgraded.json'));
    assert.equal(up.booted?.image, '/var/tmp/bootc-lab/222222222222.ociarchive');
    assert.equal(up.rollback?.image, 'localhost/app:1');
    assert.equal(up.rollback?.pinned, true);
    assert.equal(up.staged, undefined);
  });

  it('refuses what is not a BootcHost', () => {
    assert.throws(() => parseBootcStatus('error: not booted via bootc'), /did not print JSON/);
    assert.throws(() => parseBootcStatus('{"apiVersion":"v1","kind":"Pod"}'), /no BootcHost \(apiVersion v1, kind Pod\)/);
  });
});
