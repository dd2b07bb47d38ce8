import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { runBuild } from '../../core/src/podman/run-build';
import { readMachineState } from '../../core/src/vm/machine-state';
import { ISOLATION, requirePodman } from './base-images';
import { ensureDebianBase } from './debian-base';

const FIX = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '../../dist/cli.js');
const BASE = 'localhost/bootc-lab-test-life:base';
const V1 = 'localhost/bootc-lab-test-life:v1';
const V2 = 'localhost/bootc-lab-test-life:v2';
const V3 = 'localhost/bootc-lab-test-life:dracut';

async function build(dir: string, tag: string): Promise<string> {
  const file = path.join(dir, 'Containerfile');
  const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const res = await runBuild({ file, context: dir, tag, isolation: ISOLATION, model });
  assert.ok(res.ok, `build of ${tag} failed: ${res.failure?.tail}`);
  return spawnSync('podman', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).stdout.trim();
}

/** Prints `name=content` (or `name=ABSENT`) for each file, so one SSH round trip checks them all. */
const show = (files: string[]): string => files.map((f) => `printf '%s=%s\\n' ${f} "$(cat ${f} 2>/dev/null || echo ABSENT)"`).join('; ');

const CHECKED = [
  '/etc/life/edited.conf',
  '/etc/life/unedited.conf',
  '/etc/life/deleted.conf',
  '/etc/life/added.conf',
  '/etc/life/v2-only.conf',
  '/etc/life/written-in-v2.conf',
  '/var/lib/life/seed',
  '/var/lib/life/machine',
  '/var/lib/life/machine-v2',
  '/run/bootc-lab/boot-kind',
];

interface BootJson {
  exec?: { exitCode: number; stdout: string; stderr: string };
  error?: string;
  consoleTail?: string;
  machine?: { kind?: string; planned: string; from?: string };
}

function values(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => /^(\/\S+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}

describe('machine lifecycle: v1, upgrade to v2, roll back to v1, one state (TCG here)', { timeout: 5_400_000 }, () => {
  let tmp = '';
  let state = '';
  let id1 = '';
  let id2 = '';
  let id3 = '';

  function boot(image: string, exec: string, extra: string[] = []): { rec: BootJson; files: Record<string, string> } {
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'boot',
        image,
        '--state',
        state,
        '--cache-dir',
        path.join(tmp, 'cache'),
        '--exec',
        exec,
        '--timeout',
        '1500',
        '--memory',
        '1024',
        '--json',
        ...extra,
      ],
      { encoding: 'utf8', timeout: 1_800_000 },
    );
    const rec = JSON.parse(r.stdout || '{}') as BootJson;
    assert.equal(r.status, 0, `${image}: ${rec.error ?? r.stderr}\n${rec.consoleTail ?? ''}\n${rec.exec?.stderr ?? ''}`);
    return { rec, files: values(rec.exec?.stdout ?? '') };
  }

  before(async () => {
    requirePodman();
    await initShellParser();
    ensureDebianBase((s) => process.stderr.write(`${s}\n`));
    await build(path.join(FIX, 'debian-vm'), BASE);
    id1 = await build(path.join(FIX, 'life/v1'), V1);
    id2 = await build(path.join(FIX, 'life/v2'), V2);
    id3 = await build(path.join(FIX, 'life/dracut'), V3);
    assert.notEqual(id1, id2);
    // A space in the path: the state directory is the user's to name.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-life-'));
    state = path.join(tmp, 'my machine');
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('first boot of v1: read-only /usr, /etc and /var from the image, local changes made', () => {
    const { rec, files } = boot(
      V1,
      [
        'touch /usr/bin/life-probe 2>&1 || true',
        show(CHECKED),
        'echo local > /etc/life/edited.conf',
        'echo added > /etc/life/added.conf',
        'rm /etc/life/deleted.conf',
        'echo machine-data > /var/lib/life/machine',
      ].join('; '),
    );
    assert.match(rec.exec?.stdout ?? '', /touch: cannot touch '\/usr\/bin\/life-probe': Read-only file system/);
    assert.equal(rec.machine?.kind, 'first-boot');
    assert.equal(rec.machine?.planned, 'first-boot');
    assert.equal(files['/run/bootc-lab/boot-kind'], 'first-boot');
    assert.equal(files['/etc/life/edited.conf'], 'edited v1');
    assert.equal(files['/etc/life/deleted.conf'], 'deleted v1');
    assert.equal(files['/etc/life/v2-only.conf'], 'ABSENT');
    assert.equal(files['/var/lib/life/seed'], 'seed v1');
    const s = readMachineState(state);
    assert.equal(s.booted?.imageId, id1);
    assert.equal(s.previous, undefined);
  });

  it('v2 with the same state is an upgrade: 3-way merge of /etc, /var untouched', () => {
    const { rec, files } = boot(
      V2,
      [
        'touch /usr/bin/life-probe 2>&1 || true',
        show(CHECKED),
        'echo v2 > /etc/life/written-in-v2.conf',
        'echo v2-data > /var/lib/life/machine-v2',
      ].join('; '),
    );
    assert.match(rec.exec?.stdout ?? '', /Read-only file system/);
    assert.equal(rec.machine?.kind, 'upgrade');
    assert.equal(rec.machine?.from, id1);
    assert.equal(files['/run/bootc-lab/boot-kind'], 'upgrade');
    assert.equal(files['/etc/life/edited.conf'], 'local', 'a file the machine edited keeps its local version');
    assert.equal(files['/etc/life/unedited.conf'], 'unedited v2', 'a file the machine did not touch takes the new default');
    assert.equal(files['/etc/life/added.conf'], 'added', 'a file the machine added survives');
    assert.equal(files['/etc/life/deleted.conf'], 'ABSENT', 'a file the machine deleted stays deleted');
    assert.equal(files['/etc/life/v2-only.conf'], 'v2 only', 'a file new in v2 appears');
    assert.equal(files['/var/lib/life/seed'], 'seed v1', "/var keeps v1's seed: the new image's /var never reaches the machine");
    assert.equal(files['/var/lib/life/machine'], 'machine-data');
    const s = readMachineState(state);
    assert.equal(s.booted?.imageId, id2);
    assert.equal(s.previous?.imageId, id1);
  });

  it('v1 again is a rollback: its own /etc as it was, /var as the machine left it', () => {
    const { rec, files } = boot(V1, show(CHECKED));
    assert.equal(rec.machine?.kind, 'rollback');
    assert.equal(rec.machine?.planned, 'rollback');
    assert.equal(files['/run/bootc-lab/boot-kind'], 'rollback');
    assert.equal(files['/etc/life/unedited.conf'], 'unedited v1');
    assert.equal(files['/etc/life/edited.conf'], 'local');
    assert.equal(files['/etc/life/added.conf'], 'added');
    assert.equal(files['/etc/life/deleted.conf'], 'ABSENT');
    assert.equal(files['/etc/life/v2-only.conf'], 'ABSENT', 'the v2-only file is gone after the rollback');
    assert.equal(files['/etc/life/written-in-v2.conf'], 'ABSENT', "v1's /etc does not see changes made under v2");
    assert.equal(files['/var/lib/life/seed'], 'seed v1');
    assert.equal(files['/var/lib/life/machine'], 'machine-data');
    assert.equal(files['/var/lib/life/machine-v2'], 'v2-data', '/var is shared: what v2 wrote stays');
    const s = readMachineState(state);
    assert.equal(s.booted?.imageId, id1);
    assert.equal(s.previous?.imageId, id2);
    assert.deepEqual(
      s.history.map((h) => h.kind),
      ['first-boot', 'upgrade', 'rollback'],
    );
  });

  it('v2 again with --redeploy is bootc switch, not rollback: a new v2 deployment merged from the booted /etc', () => {
    const { rec, files } = boot(V2, show(CHECKED), ['--redeploy']);
    assert.equal(rec.machine?.planned, 'upgrade');
    assert.equal(rec.machine?.kind, 'upgrade');
    assert.equal(rec.machine?.from, id1);
    assert.equal(files['/etc/life/edited.conf'], 'local');
    assert.equal(files['/etc/life/unedited.conf'], 'unedited v2');
    assert.equal(files['/etc/life/v2-only.conf'], 'v2 only');
    assert.equal(files['/etc/life/deleted.conf'], 'ABSENT');
    assert.equal(files['/etc/life/written-in-v2.conf'], 'ABSENT', "the old v2 deployment's /etc is not reused");
    assert.equal(files['/var/lib/life/machine-v2'], 'v2-data');
    const s = readMachineState(state);
    assert.deepEqual([s.booted?.imageId, s.previous?.imageId], [id2, id1]);
  });

  it('an upgrade to an image with a dracut initramfs: the credentials systemd imported in the initrd reach the machine', () => {
    // systemd in the initrd takes the SSH key (an SMBIOS credential) and switches root into the shim, not
    // into systemd: without the shim handing the credentials directory on, SSH never accepts the key.
    const { rec, files } = boot(V3, `${show(CHECKED)}; ls /run/credentials/@system`);
    assert.equal(rec.machine?.kind, 'upgrade');
    assert.equal(rec.machine?.from, id2);
    assert.match(rec.exec?.stdout ?? '', /^tmpfiles\.extra$/m, 'the credential came through the initrd');
    assert.equal(files['/etc/life/edited.conf'], 'local');
    assert.equal(files['/etc/life/v2-only.conf'], 'v2 only');
    assert.equal(files['/var/lib/life/machine-v2'], 'v2-data');
    assert.equal(readMachineState(state).booted?.imageId, id3);
  });
});
