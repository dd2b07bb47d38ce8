import * as fs from 'node:fs';
import { lstat } from './rootfs';
import { defineImageLint, type CheckResult } from './types';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
function isUtf8(b: Buffer): boolean {
  try {
    utf8Decoder.decode(b);
    return true;
  } catch {
    return false;
  }
}

function escapeBytes(b: Buffer): string {
  let s = '';
  for (const byte of b)
    s +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return s;
}

/** One walk of the whole tree (utf8 is bootc's only recursive lint); stops at the first error. */
export function walkUtf8(root: string): CheckResult | undefined {
  const rootDev = lstat(root)?.dev;
  const stack: Buffer[] = [Buffer.from('')];
  while (stack.length > 0) {
    const rel = stack.pop() ?? Buffer.from('');
    const abs = Buffer.concat([Buffer.from(root), rel]);
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const e of entries) {
      const childRel = Buffer.concat([rel, Buffer.from('/'), e.name]);
      const display = rel.length === 0 ? '/' : rel.toString('utf8');
      if (!isUtf8(e.name)) {
        return {
          message: `${display}: Found non-utf8 filename "${escapeBytes(e.name)}"`,
          items: [],
          paths: [`${display === '/' ? '' : display}/${e.name.toString('latin1')}`],
        };
      }
      if (e.isSymbolicLink()) {
        try {
          const target = fs.readlinkSync(Buffer.concat([Buffer.from(root), childRel]), { encoding: 'buffer' });
          if (!isUtf8(target))
            return {
              message: `${childRel.toString('utf8')}: Found non-utf8 symlink target`,
              items: [],
              paths: [childRel.toString('utf8')],
            };
        } catch {
          // unreadable link: nothing to check
        }
      } else if (e.isDirectory()) {
        // Like bootc, do not cross into other filesystems mounted inside the root.
        const st = lstat(Buffer.concat([Buffer.from(root), childRel]).toString('utf8'));
        if (rootDev !== undefined && st && st.dev !== rootDev) continue;
        stack.push(childRel);
      }
    }
  }
  return undefined;
}

export default defineImageLint({
  meta: {
    name: 'utf8',
    type: 'fatal',
    description: 'Check for non-UTF8 filenames.',
    hint: 'Rename files whose names are not valid UTF-8; the ostree backend cannot store them.',
  },
  check: walkUtf8,
});
