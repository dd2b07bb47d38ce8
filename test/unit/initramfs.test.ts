import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { InitramfsUnreadable, NewcParser, compressionOf, listInitramfs } from '../../core/src/image/initramfs';
import { newc } from '../cpio';

const MAIN = [
  { name: '.', dir: true },
  { name: 'usr', dir: true },
  { name: 'usr/lib/ostree/ostree-prepare-root', data: 'ELF…a body of odd length' },
  { name: 'usr/lib/systemd/system/ostree-prepare-root.service', data: '[Unit]\n' },
  { name: 'init', data: 'x' },
];
const EARLY = newc([
  { name: 'kernel', dir: true },
  { name: 'kernel/x86/microcode/GenuineIntel.bin', data: 'µcode' },
]);
const names = (l: { entries: { name: string }[] }): string[] => l.entries.map((e) => e.name);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-initramfs-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}
function compressWith(tool: string, input: Buffer): Buffer {
  const r = spawnSync(tool, ['-c', '-q'], { input });
  assert.equal(r.status, 0, `${tool} is needed for this test (apt-get install ${tool === 'xz' ? 'xz-utils' : tool}): ${String(r.stderr)}`);
  return r.stdout;
}

describe('initramfs cpio reader', () => {
  it('reads an uncompressed newc archive, whatever the chunk boundaries', () => {
    const bytes = newc(MAIN);
    for (const size of [1, 3, 7, 110, 4096]) {
      const p = new NewcParser();
      for (let i = 0; i < bytes.length; i += size) assert.equal(p.push(bytes.subarray(i, i + size)), undefined);
      assert.deepEqual(
        p.entries.map((e) => e.name),
        ['.', 'usr', 'usr/lib/ostree/ostree-prepare-root', 'usr/lib/systemd/system/ostree-prepare-root.service', 'init'],
        `chunks of ${size}`,
      );
      assert.equal(p.entries[2]?.size, 'ELF…a body of odd length'.length + 2);
    }
  });

  it('lists an uncompressed image', async () => {
    const l = await listInitramfs(file('plain.img', newc(MAIN)));
    assert.equal(l.compression, 'none');
    assert.ok(names(l).includes('usr/lib/ostree/ostree-prepare-root'));
  });

  it('lists a gzip image', async () => {
    const l = await listInitramfs(file('gz.img', zlib.gzipSync(newc(MAIN))));
    assert.equal(l.compression, 'gzip');
    assert.equal(l.earlyEntries, 0);
    assert.deepEqual(
      names(l).slice(-3),
      MAIN.slice(-3).map((f) => f.name),
    );
  });

  it('lists an early microcode cpio in front of a gzip archive, and the archive behind it', async () => {
    const l = await listInitramfs(file('early-gz.img', Buffer.concat([EARLY, zlib.gzipSync(newc(MAIN))])));
    assert.equal(l.compression, 'gzip');
    assert.equal(l.earlyEntries, 2);
    assert.deepEqual(names(l), ['kernel', 'kernel/x86/microcode/GenuineIntel.bin', ...MAIN.map((f) => f.name)]);
  });

  it('lists zstd and xz images through the zstd and xz programs', async () => {
    for (const tool of ['zstd', 'xz'] as const) {
      const l = await listInitramfs(file(`early-${tool}.img`, Buffer.concat([EARLY, compressWith(tool, newc(MAIN))])));
      assert.equal(l.compression, tool);
      assert.ok(names(l).includes('usr/lib/systemd/system/ostree-prepare-root.service'), tool);
    }
  });

  it('says clearly when the decompressor is missing or the format is unknown', async () => {
    const zst = file('only.zst.img', compressWith('zstd', newc(MAIN)));
    const saved = process.env.PATH;
    process.env.PATH = path.join(dir, 'no-tools-here');
    try {
      await assert.rejects(
        listInitramfs(zst),
        (e: Error) => e instanceof InitramfsUnreadable && /zstd-compressed and `zstd` is not installed/.test(e.message),
      );
    } finally {
      process.env.PATH = saved;
    }
    await assert.rejects(listInitramfs(file('lz4.img', Buffer.from([0x02, 0x21, 0x4c, 0x18, 1, 2, 3]))), /lz4 compression/);
    await assert.rejects(listInitramfs(file('junk.img', zlib.gzipSync(Buffer.from('not a cpio at all')))), /not a cpio archive/);
  });

  it('recognises compression magic numbers', () => {
    assert.equal(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(compressionOf(Buffer.from('BZh9')), 'bzip2');
    assert.equal(compressionOf(Buffer.from('070701')), 'none');
  });
});
