/** A newc archive made byte by byte (so the reader is checked against bytes it did not produce), with its trailer. */
export function newc(files: { name: string; data?: string; dir?: boolean }[]): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  const pad = (): void => {
    const n = (4 - (pos % 4)) % 4;
    parts.push(Buffer.alloc(n));
    pos += n;
  };
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  const entry = (name: string, data: Buffer, mode: number, ino: number): void => {
    const nameBuf = Buffer.from(`${name}\0`);
    const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0];
    const head = Buffer.from(`070701${fields.map(hex).join('')}`, 'latin1');
    parts.push(head, nameBuf);
    pos += head.length + nameBuf.length;
    pad();
    parts.push(data);
    pos += data.length;
    pad();
  };
  files.forEach((f, i) => entry(f.name, Buffer.from(f.data ?? ''), f.dir ? 0o40755 : 0o100644, i + 1));
  entry('TRAILER!!!', Buffer.alloc(0), 0, 0);
  // cpio tools pad the whole archive to 512 bytes.
  parts.push(Buffer.alloc((512 - (pos % 512)) % 512));
  return Buffer.concat(parts);
}
