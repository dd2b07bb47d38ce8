import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  SOURCE_SERIAL,
  TARGET_SERIAL,
  chooseInstallPlace,
  guestInstallCommand,
  helperDiskArgs,
  hostInstallGaps,
  installInVm,
} from '../../core/src/vm/install-vm';

const dirs: string[] = [];
const scratch = (p: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `bootc-lab-test-install-vm ${p}-`));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A podman that writes its `save` output, so the real mkfs.ext4 has an archive to put on the disk. */
function fakePodman(dir: string): string {
  const bin = path.join(dir, 'podman');
  fs.writeFileSync(
    bin,
    `#!${process.execPath}
const a = process.argv.slice(2);
require('fs').appendFileSync(${JSON.stringify(path.join(dir, 'calls'))}, JSON.stringify(a) + '\\n');
if (a[0] === 'save') require('fs').writeFileSync(a[a.indexOf('-o') + 1], 'oci archive bytes');
`,
  );
  fs.chmodSync(bin, 0o755);
  return bin;
}

describe('install mode inside a VM of the image', () => {
  it('reads what the host kernel lacks for a loop-device install from its config, and says nothing when there is none', () => {
    const config = '# CONFIG_EFI_PARTITION is not set\nCONFIG_BLK_DEV_LOOP=y\n# CONFIG_VFAT_FS is not set\n';
    assert.deepEqual(hostInstallGaps(config), ['GPT partitions (CONFIG_EFI_PARTITION)', 'vfat (CONFIG_VFAT_FS)']);
    assert.deepEqual(hostInstallGaps('CONFIG_EFI_PARTITION=y\nCONFIG_VFAT_FS=m\nCONFIG_BLK_DEV_LOOP=y\n'), []);
    assert.deepEqual(hostInstallGaps(undefined), []);
  });

  it('picks podman unless the kernel cannot, says why it picks the VM, and obeys an explicit choice', () => {
    assert.deepEqual(chooseInstallPlace('auto', []), { place: 'podman' });
    const vm = chooseInstallPlace(undefined, ['vfat (CONFIG_VFAT_FS)']);
    assert.equal(vm.place, 'vm');
    assert.match(vm.note ?? '', /no vfat \(CONFIG_VFAT_FS\).*inside a VM/);
    assert.deepEqual(chooseInstallPlace('podman', ['vfat (CONFIG_VFAT_FS)']), { place: 'podman' });
    assert.deepEqual(chooseInstallPlace('vm', []), { place: 'vm' });
  });

  it('attaches the archive read-only and the target by serial, on slots after the root disk', () => {
    const a = helperDiskArgs('/c/my disk/source.img', '/c/t.raw');
    assert.deepEqual(
      a.filter((_x, i) => a[i - 1] === '-device'),
      [
        `virtio-blk-pci,drive=bootclabsrc,serial=${SOURCE_SERIAL},addr=0x10`,
        `virtio-blk-pci,drive=bootclabtarget,serial=${TARGET_SERIAL},addr=0x11`,
      ],
    );
    assert.ok(a.includes('file=/c/my disk/source.img,format=raw,if=none,id=bootclabsrc,readonly=on'));
    const comma = helperDiskArgs('/c/a,b/s.img', '/t.raw');
    assert.ok(comma.includes('file=/c/a,,b/s.img,format=raw,if=none,id=bootclabsrc,readonly=on'), 'commas doubled');
  });

  it('installs from the archive onto the target disk, with the same options as podman but no loop device, quoted for the guest shell', () => {
    const cmd = guestInstallCommand(['--via-loopback', '--karg', "x='1 2'", '--target-imgref', 'localhost/a b:1']);
    assert.deepEqual(cmd.slice(0, 2), ['sh', '-c']);
    // What the guest's shell receives: one quoted script, which a shell unquotes back to the words.
    const script = spawnSync('sh', ['-c', `printf '%s' ${cmd[2] ?? ''}`], { encoding: 'utf8' }).stdout;
    assert.match(script, /^set -e; mkdir -p \/run\/bootc-lab-src; mount -o ro \/dev\/disk\/by-id\/virtio-bootclabsrc /);
    const install = script.split('; ').find((s) => s.startsWith('bootc ')) ?? '';
    const words = spawnSync('sh', ['-c', `for w in ${install}; do printf '%s\\n' "$w"; done`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    assert.deepEqual(words, [
      'bootc',
      'install',
      'to-disk',
      '--source-imgref',
      'oci-archive:/run/bootc-lab-src/image.ociarchive',
      '--wipe',
      '--karg',
      "x='1 2'",
      '--target-imgref',
      'localhost/a b:1',
      `/dev/disk/by-id/virtio-${TARGET_SERIAL}`,
    ]);
    assert.ok(script.endsWith('; sync'));
  });

  it('saves the image onto a real ext4 disk for the VM, boots it with both disks, and cleans up on success and failure', async () => {
    const dir = scratch('run');
    const podman = fakePodman(dir);
    const work = path.join(dir, 'work');
    const seen: { qemuArgs: string[]; command: string[]; files: string }[] = [];
    const boot = (exitCode: number) => (o: { qemuArgs: string[]; command: string[] }) => {
      const img = /file=([^,]+),format=raw,if=none,id=bootclabsrc/.exec(o.qemuArgs.join(' '))?.[1] ?? '';
      const files = spawnSync('debugfs', ['-R', 'ls -l /', img], { encoding: 'utf8' }).stdout;
      seen.push({ ...o, files });
      return Promise.resolve({ exitCode, stdout: 'Installing image\n', stderr: exitCode ? 'error: Installing to disk: no space' : '' });
    };
    await installInVm(
      { image: 'localhost/x:1', podmanPath: podman },
      { targetRaw: '/t.raw', workDir: work, installArgs: ['--generic-image'], boot: boot(0) },
    );
    assert.match(seen[0]?.files ?? '', /image\.ociarchive/);
    assert.ok((seen[0]?.qemuArgs ?? []).includes(`file=/t.raw,format=raw,if=none,id=bootclabtarget,cache=unsafe`));
    assert.match(seen[0]?.command[2] ?? '', / --wipe --generic-image \/dev\/disk\/by-id\/virtio-bootclabtarget; sync'$/);
    assert.ok(fs.readFileSync(path.join(dir, 'calls'), 'utf8').includes('"save","--format","oci-archive"'));
    assert.equal(fs.existsSync(work), false, 'scratch removed');
    await assert.rejects(
      installInVm({ image: 'localhost/x:1', podmanPath: podman }, { targetRaw: '/t.raw', workDir: work, installArgs: [], boot: boot(1) }),
      /bootc install in the install VM failed \(exit 1\):\nInstalling image\nerror: Installing to disk: no space/,
    );
    assert.equal(fs.existsSync(work), false, 'scratch removed after a failure');
  });
});
