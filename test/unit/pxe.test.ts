import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  detectLiveFamily,
  grubEntry,
  ipxeScript,
  liveKernelArgs,
  missingLiveModuleAdvice,
  pxelinuxEntry,
  serveTree,
  treeFamily,
  writeChainScript,
  writeTreeScripts,
  TREE,
} from '../../core/src/vm/pxe';
import { qemuCommand } from '../../core/src/vm/qemu';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tree(files: string[]): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-net-unit-'));
  made.push(d, `${d}-secret`);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    if (f.endsWith('/')) fs.mkdirSync(path.join(d, f), { recursive: true });
    else fs.writeFileSync(path.join(d, f), `content of ${f}\n`);
  }
  return d;
}

describe('PXE: live module detection', () => {
  it('finds Debian live-boot and dracut dmsquash-live + livenet, and neither in a plain image', () => {
    assert.equal(detectLiveFamily(tree(['usr/lib/live/boot/9990-main.sh', 'var/lib/dpkg/status'])), 'live-boot');
    assert.equal(detectLiveFamily(tree(['usr/lib/dracut/modules.d/90dmsquash-live/', 'usr/lib/dracut/modules.d/90livenet/'])), 'dracut');
    assert.equal(detectLiveFamily(tree(['usr/lib/dracut/modules.d/90dmsquash-live/'])), undefined, 'livenet is needed to fetch over HTTP');
    assert.equal(detectLiveFamily(tree(['usr/bin/true'])), undefined);
  });

  it('names the package to add for the image’s own tooling', () => {
    assert.match(missingLiveModuleAdvice(tree(['var/lib/dpkg/status'])), /apt-get install live-boot/);
    assert.match(missingLiveModuleAdvice(tree(['usr/lib/dracut/modules.d/'])), /dnf install dracut-live.*dmsquash-live livenet/);
  });
});

describe('PXE: boot scripts', () => {
  it('fetches the root over HTTP with the right arguments for each family', () => {
    assert.deepEqual(liveKernelArgs('live-boot', 'http://h/').slice(0, 2), ['boot=live', 'fetch=http://h/live/filesystem.squashfs']);
    assert.deepEqual(liveKernelArgs('dracut', 'http://h/').slice(0, 2), ['root=live:http://h/LiveOS/squashfs.img', 'rd.live.image']);
    const s = ipxeScript('live-boot');
    assert.match(s, /^#!ipxe\n/);
    assert.match(s, /isset \$\{base-url\} \|\| set base-url http:\/\/\$\{next-server\}\//);
    assert.match(
      s,
      /kernel \$\{base-url\}images\/pxeboot\/vmlinuz initrd=initrd\.img boot=live fetch=\$\{base-url\}live\/filesystem\.squashfs /,
    );
    assert.match(s, /\ninitrd \$\{base-url\}images\/pxeboot\/initrd\.img\nboot\n/);
    assert.match(pxelinuxEntry('dracut', 'http://srv/x/'), /APPEND root=live:http:\/\/srv\/x\/LiveOS\/squashfs\.img rd\.live\.image/);
    assert.match(grubEntry('live-boot', 'http://srv/'), /linux \(http,\$\{net_default_server\}\)\/images\/pxeboot\/vmlinuz boot=live/);
  });

  it('writes checksums that match the files', () => {
    const d = tree([TREE.kernel, TREE.initrd, TREE.root('live-boot')]);
    writeTreeScripts(d, 'live-boot', 'http://srv/');
    const sums = fs.readFileSync(path.join(d, TREE.sums), 'utf8').trim().split('\n');
    assert.equal(sums.length, 6);
    for (const line of sums) {
      const [hex, file] = line.split(/\s+/);
      const want = crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(d, file ?? '')))
        .digest('hex');
      assert.equal(hex, want, file);
    }
    assert.equal(treeFamily(d), 'live-boot');
    const tftp = path.join(d, 'tftp');
    assert.equal(writeChainScript(tftp, d, 4321), 'chain.ipxe');
    assert.match(
      fs.readFileSync(path.join(tftp, 'chain.ipxe'), 'utf8'),
      /set base-url http:\/\/10\.0\.2\.2:4321\/\nchain \$\{base-url\}boot\.ipxe/,
    );
  });

  it('boots QEMU from the network with no disk, TFTP from a directory with commas', () => {
    const spec = qemuCommand({
      memoryMb: 2048,
      cpus: 2,
      kvm: false,
      netboot: { tftpDir: '/tmp/a,b', bootfile: 'chain.ipxe' },
      sshPort: 2222,
      serialSocket: '/s',
      serialLog: '/l',
      qmpSocket: '/q',
    });
    assert.ok(spec.args.includes('user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22,tftp=/tmp/a,,b,bootfile=chain.ipxe'), spec.args.join(' '));
    assert.deepEqual(spec.args.slice(spec.args.indexOf('-boot'), spec.args.indexOf('-boot') + 2), ['-boot', 'n']);
    assert.ok(!spec.args.some((a) => a.includes('if=virtio')), 'no disk attached');
  });
});

describe('PXE: HTTP server', () => {
  it('serves the tree on 127.0.0.1 and nothing outside it', async () => {
    const d = tree(['live/filesystem.squashfs']);
    fs.writeFileSync(path.join(path.dirname(d), `${path.basename(d)}-secret`), 'no');
    const srv = await serveTree(d);
    try {
      const ok = await fetch(`http://127.0.0.1:${srv.port}/live/filesystem.squashfs`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'content of live/filesystem.squashfs\n');
      const out = await fetch(`http://127.0.0.1:${srv.port}/..%2F${path.basename(d)}-secret`);
      assert.equal(out.status, 404);
      assert.deepEqual(srv.requests, ['/live/filesystem.squashfs', `/../${path.basename(d)}-secret`]);
    } finally {
      await srv.close();
    }
  });
});
