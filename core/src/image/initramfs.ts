import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { NotFoundError, runChecked, type RunOptions } from '../process/run';

/**
 * A streaming reader of initramfs images: concatenated newc ("070701"/"070702") cpio archives,
 * the first ones usually uncompressed (early microcode), the last one compressed. Only names are
 * kept; file bodies are skipped as they stream past.
 */

export interface CpioEntry {
  name: string;
  mode: number;
  size: number;
}

const HEADER = 110;
const MAGIC = /^07070[12]$/;

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Parses newc archives pushed chunk by chunk. After an archive's TRAILER!!! it skips the zero
 * padding; when the next bytes are not another cpio header, `push` returns them (a compressed
 * archive follows) and the parser takes no more input.
 */
export class NewcParser {
  readonly entries: CpioEntry[] = [];
  /** Bytes consumed so far: newc aligns headers and bodies to 4 bytes from the stream's start. */
  private pos = 0;
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0;
  private state: 'header' | 'gap' | 'done' = 'header';
  /** At least one archive ended with its trailer. */
  sawTrailer = false;

  push(chunk: Buffer): Buffer | undefined {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && this.state !== 'done') {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length);
        this.skip -= n;
        this.pos += n;
        buf = buf.subarray(n);
        continue;
      }
      if (this.state === 'gap') {
        let i = 0;
        while (i < buf.length && buf[i] === 0) i++;
        this.pos += i;
        buf = buf.subarray(i);
        if (buf.length === 0) break;
        if (buf.length < 6) {
          this.pending = buf;
          return undefined;
        }
        if (!MAGIC.test(buf.subarray(0, 6).toString('latin1'))) {
          this.state = 'done';
          return buf;
        }
        // Another archive: newc offsets restart with it.
        this.pos = 0;
        this.state = 'header';
        continue;
      }
      if (buf.length < HEADER) {
        this.pending = buf;
        return undefined;
      }
      const head = buf.subarray(0, HEADER).toString('latin1');
      if (!MAGIC.test(head.slice(0, 6))) {
        if (this.entries.length === 0 && !this.sawTrailer) {
          // Not cpio at all: the whole stream is something else (a compressed archive).
          this.state = 'done';
          return buf;
        }
        throw new Error(`not a newc cpio header at byte ${this.pos}`);
      }
      const field = (i: number): number => parseInt(head.slice(6 + i * 8, 14 + i * 8), 16);
      const mode = field(1);
      const size = field(6);
      const nameSize = field(11);
      const nameEnd = align4(this.pos + HEADER + nameSize) - this.pos;
      if (buf.length < nameEnd) {
        this.pending = buf;
        return undefined;
      }
      const name = buf.subarray(HEADER, HEADER + nameSize - 1).toString('utf8');
      buf = buf.subarray(nameEnd);
      this.pos += nameEnd;
      if (name === 'TRAILER!!!') {
        this.sawTrailer = true;
        this.state = 'gap';
        continue;
      }
      this.entries.push({ name: name.replace(/^\.?\//, ''), mode, size });
      this.skip = align4(this.pos + size) - this.pos;
    }
    return undefined;
  }

  /** At the end of the input: what was held back when it is too short to be a cpio header. */
  finish(): Buffer | undefined {
    const left = this.pending;
    this.pending = Buffer.alloc(0);
    return left.length > 0 && this.entries.length === 0 && !this.sawTrailer ? left : undefined;
  }
}

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'lz4' | 'bzip2' | 'lzma' | 'unknown';

export function compressionOf(head: Buffer): Compression {
  const b = (i: number): number => head[i] ?? -1;
  if (b(0) === 0x1f && (b(1) === 0x8b || b(1) === 0x9e)) return 'gzip';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  if (b(0) === 0xfd && head.subarray(1, 6).toString('latin1') === '7zXZ\0') return 'xz';
  if (b(0) === 0x02 && b(1) === 0x21 && b(2) === 0x4c && b(3) === 0x18) return 'lz4';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b(0) === 0x5d && b(1) === 0x00 && b(2) === 0x00) return 'lzma';
  if (MAGIC.test(head.subarray(0, 6).toString('latin1'))) return 'none';
  return 'unknown';
}

export interface InitramfsListing {
  entries: CpioEntry[];
  /** Names of the uncompressed archives in front (early microcode), counted. */
  earlyEntries: number;
  compression: Compression;
}

/** The reader cannot decompress this image here (a tool is missing, or the format is unknown). */
export class InitramfsUnreadable extends Error {}

const TOOLS: Partial<Record<Compression, string>> = { zstd: 'zstd', xz: 'xz' };
const SUFFIX: Partial<Record<Compression, string>> = { zstd: '.zst', xz: '.xz' };

function sink(parser: NewcParser): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        // Bytes after the last archive of a compressed stream are padding: nothing to read there.
        parser.push(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

/**
 * Lists the entries of an initramfs image. gzip is decompressed in process (zlib); zstd and xz with
 * the `zstd`/`xz` programs (argv, no shell), which must be on PATH.
 */
export async function listInitramfs(file: string, ro: RunOptions = {}): Promise<InitramfsListing> {
  const early = new NewcParser();
  let rest: Buffer | undefined;
  let offset = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 16 })) {
    const b = chunk as Buffer;
    rest = early.push(b);
    if (rest) {
      offset += b.length - rest.length;
      break;
    }
    offset += b.length;
  }
  if (!rest) {
    rest = early.finish();
    if (rest) offset -= rest.length;
  }
  if (!rest) {
    if (early.entries.length === 0) throw new InitramfsUnreadable(`${path.basename(file)} is empty or not an initramfs`);
    return { entries: early.entries, earlyEntries: 0, compression: 'none' };
  }
  const earlyEntries = early.entries.length;
  const compression = compressionOf(rest);
  const main = new NewcParser();
  if (compression === 'gzip') {
    await pipeline(fs.createReadStream(file, { start: offset }), zlib.createGunzip(), sink(main), { signal: ro.signal });
  } else if (compression === 'zstd' || compression === 'xz') {
    const tool = TOOLS[compression] ?? compression;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-initramfs-'));
    try {
      const packed = path.join(dir, `payload${SUFFIX[compression] ?? ''}`);
      await pipeline(fs.createReadStream(file, { start: offset }), fs.createWriteStream(packed), { signal: ro.signal });
      try {
        // Decompresses next to itself (payload.zst → payload): the output is streamed from disk, never held whole.
        await runChecked({ command: tool, args: ['-d', '-q', '--', packed] }, ro);
      } catch (e) {
        if (e instanceof NotFoundError)
          throw new InitramfsUnreadable(
            `${path.basename(file)} is ${compression}-compressed and \`${tool}\` is not installed: install ${tool} to read it`,
          );
        throw e;
      }
      await pipeline(fs.createReadStream(path.join(dir, 'payload')), sink(main), { signal: ro.signal });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } else {
    throw new InitramfsUnreadable(
      `${path.basename(file)} uses ${compression} compression, which bootc Lab cannot read (gzip, zstd and xz are supported)`,
    );
  }
  if (main.entries.length === 0 && !main.sawTrailer)
    throw new InitramfsUnreadable(`${path.basename(file)}: the ${compression} data after byte ${offset} is not a cpio archive`);
  return { entries: [...early.entries, ...main.entries], earlyEntries, compression };
}
