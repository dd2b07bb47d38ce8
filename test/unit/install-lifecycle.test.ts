import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { stageRollback, stageUpgrade, type InstalledVm } from '../../core/src/vm/install-lifecycle';

const FIX = path.join(__dirname, '../fixtures/bootc-status');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-install-life '));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Executables that record their argv, in a directory put first on PATH (scp) or passed as podmanPath. */
function recorder(name: string, script: string): { bin: string; calls: () => string[][] } {
  const log = path.join(dir, `${name}.calls`);
  const bin = path.join(dir, name);
  fs.writeFileSync(
    bin,
    `#!${process.execPath}\nconst a = process.argv.slice(2);\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(a) + '\\n');\n${script}\n`,
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

function fakeVm(status: string, fail?: RegExp): InstalledVm & { commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    ssh: (command: string[]) => {
      const c = command.join(' ');
      commands.push(c);
      if (fail?.test(c)) return Promise.resolve({ exitCode: 1, stdout: '', stderr: 'error: Switching: no space left on device' });
      const out = c.startsWith('bootc status') ? fs.readFileSync(path.join(FIX, status), 'utf8') : '';
      return Promise.resolve({ exitCode: 0, stdout: out, stderr: '' });
    },
    reboot: () => Promise.resolve(),
    sshEndpoint: () => ({ port: 2222, privateKey: '/keys/id' }),
  };
}

describe('install mode: upgrade and rollback through the guest bootc', () => {
  const podman = recorder(
    'podman',
    `const b = a[0] === '--connection' ? a.slice(2) : a;
if (b[0] === 'image' && b[1] === 'inspect') process.stdout.write(JSON.stringify([{ Id: '2'.repeat(64) }]));
if (b[0] === 'save') require('fs').writeFileSync(b[b.indexOf('-o') + 1], 'archive');`,
  );
  const scp = recorder('scp', '');
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath ?? ''}`;
  after(() => {
    process.env.PATH = oldPath;
  });

  it('saves the image, copies it to a path named by its ID in /var, switches to it and reads the staged deployment', async () => {
    const vm = fakeVm('staged.json');
    const st = await stageUpgrade(vm, { image: 'localhost/app:2', podmanPath: podman.bin, connection: 'rootful' });
    const archive = '/var/tmp/bootc-lab/222222222222.ociarchive';
    assert.deepEqual(vm.commands, [
      'mkdir -p /var/tmp/bootc-lab',
      `bootc switch --transport oci-archive ${archive}`,
      `rm -f ${archive}`,
      'bootc status --format json',
    ]);
    assert.ok(
      podman.calls().every((c) => c[0] === '--connection' && c[1] === 'rootful'),
      'inspect and save on the same podman',
    );
    const save = (podman.calls().find((c) => c[2] === 'save') ?? []).slice(2);
    assert.deepEqual(save.slice(0, 3), ['save', '--format', 'oci-archive']);
    assert.equal(scp.calls().length, 1);
    const copy = scp.calls()[0] ?? [];
    assert.deepEqual(copy.slice(-2), [save[4], `root@127.0.0.1:${archive}`]);
    assert.ok(copy.includes('2222') && copy.includes('/keys/id'));
    assert.equal(fs.existsSync(save[4] ?? ''), false, 'the host copy of the archive is removed');
    assert.equal(st.staged?.image, archive);
  });

  it("puts bootc's own error in the message when the switch fails, and rolls back with bootc rollback", async () => {
    const failing = fakeVm('staged.json', /^bootc switch/);
    await assert.rejects(
      stageUpgrade(failing, { image: 'localhost/app:2', podmanPath: podman.bin }),
      /bootc switch failed in the VM \(exit 1\): bootc switch --transport oci-archive \/var\/tmp\/bootc-lab\/222222222222\.ociarchive\nerror: Switching: no space left on device/,
    );
    assert.equal(
      failing.commands.at(-1),
      'rm -f /var/tmp/bootc-lab/222222222222.ociarchive',
      'the copy is removed after a failed switch too',
    );
    const vm = fakeVm('upgraded.json');
    const st = await stageRollback(vm);
    assert.deepEqual(vm.commands, ['bootc rollback', 'bootc status --format json']);
    assert.equal(st.rollback?.image, 'localhost/app:1');
  });
});
