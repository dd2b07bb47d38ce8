import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

const CLI = path.join(__dirname, '../../dist/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-install-cli '));

function boot(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'boot', ...args, '--cache-dir', path.join(dir, 'cache')], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

describe('bootc-lab boot: install-mode flags', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes --firmware and reports a firmware file it cannot use, before touching podman', () => {
    const fw = path.join(dir, 'OVMF_CODE_4M.secboot.fd');
    fs.writeFileSync(fw, 'code, but no variable store next to it');
    const r = boot([
      'localhost/bootc-lab-test-install-none:1',
      '--mode',
      'install',
      '--accel',
      'tcg',
      '--firmware',
      fw,
      '--podman',
      '/nonexistent/podman',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`The UEFI firmware ${fw} (bootcLab.vm.firmware / --firmware) was not found`), r.stderr);
  });

  it('checks --disk-size and keeps install flags to install mode', () => {
    assert.equal(boot(['localhost/x:1', '--mode', 'install', '--disk-size', 'big']).code, 2);
    const r = boot(['localhost/x:1', '--mode', 'quick', '--disk-size', '20']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /apply to --mode install/);
  });

  it('checks --install-in and the --then lifecycle steps, which run the installed VM’s own bootc', () => {
    const inst = boot(['localhost/x:1', '--mode', 'install', '--install-in', 'chroot']);
    assert.equal(inst.code, 2);
    assert.match(inst.stderr, /--install-in chroot: expected auto, podman or vm/);
    assert.match(boot(['localhost/x:1', '--install-in', 'vm']).stderr, /apply to --mode install/);
    const quick = boot(['localhost/x:1', '--then', 'rollback']);
    assert.equal(quick.code, 2);
    assert.match(quick.stderr, /needs --mode install/);
    const bad = boot(['localhost/x:1', '--mode', 'install', '--then', 'upgrade']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--then upgrade: expected upgrade=IMAGE or rollback/);
    const login = boot(['localhost/x:1', '--mode', 'install', '--then', 'rollback', '--wait', 'login']);
    assert.equal(login.code, 2);
    assert.match(login.stderr, /--then needs --wait ssh/);
  });
});
