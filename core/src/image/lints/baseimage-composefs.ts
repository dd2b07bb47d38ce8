import * as path from 'node:path';
import { lstat, readText } from './rootfs';
import { defineImageLint } from './types';

/** Reads a GLib key file (prepare-root.conf) into section → key → value. */
export function parseKeyFile(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) {
      section = out.get(s[1] ?? '') ?? new Map();
      out.set(s[1] ?? '', section);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && section) section.set(kv[1] ?? '', kv[2] ?? '');
  }
  return out;
}

function composefsMessage(root: string): string | undefined {
  const file = ['etc/ostree/prepare-root.conf', 'usr/lib/ostree/prepare-root.conf']
    .map((f) => readText(path.join(root, f)))
    .find((t) => t !== undefined);
  if (file === undefined) return 'ostree/prepare-root.conf is not present to enable composefs';
  const kf = parseKeyFile(file);
  if (kf.get('root')?.get('transient')?.toLowerCase() === 'true') return undefined;
  const enabled = kf.get('composefs')?.get('enabled')?.toLowerCase();
  if (enabled && ['yes', 'true', '1', 'maybe', 'signed', 'verity'].includes(enabled)) return undefined;
  return 'ostree/prepare-root.conf does not have composefs enabled';
}

export default defineImageLint({
  meta: {
    name: 'baseimage-composefs',
    type: 'warning',
    description: 'Check that composefs is enabled for ostree.',
    hint: 'Ship `/usr/lib/ostree/prepare-root.conf` with `[composefs]` `enabled = true`, and regenerate the initramfs after changing it.',
  },
  check(root) {
    for (const r of [root, path.join(root, 'usr/share/doc/bootc/baseimage/base')]) {
      if (r !== root && !lstat(r)?.isDirectory()) continue;
      const msg = composefsMessage(r);
      if (msg) return { message: msg, items: [], paths: ['/usr/lib/ostree/prepare-root.conf'] };
    }
    return undefined;
  },
});
