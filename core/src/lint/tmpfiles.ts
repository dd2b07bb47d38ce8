import { filesOf, overlayFiles } from './context-files';
import { shippedWrites, type PlacedWrite } from './helpers';
import type { BuildContext } from './rule';
import type { ContainerfileModel } from '../model/containerfile';
import { isUnder, resolvePath } from '../model/paths';

/** One line of a tmpfiles.d file the image gets from this Containerfile. */
export interface TmpfilesEntry {
  /** The type letter without modifiers (`L` for `L+`). */
  type: string;
  path: string;
  /** The last field (a link's target, a copy's source), `-` when absent. */
  argument: string;
  pw: PlacedWrite;
}

export const TMPFILES_DIRS = ['/usr/lib/tmpfiles.d', '/etc/tmpfiles.d'];

/**
 * tmpfiles.d lines written by the Containerfile (heredocs, printed text, COPY from the build context,
 * including directory trees copied over / such as `COPY files /`).
 * `unknown` lists writes into a tmpfiles.d directory whose text cannot be read, so rules can stay quiet.
 */
export function tmpfilesEntries(model: ContainerfileModel, ctx: BuildContext): { entries: TmpfilesEntry[]; unknown: PlacedWrite[] } {
  const entries: TmpfilesEntry[] = [];
  const unknown: PlacedWrite[] = [];
  for (const pw of shippedWrites(model)) {
    const files = TMPFILES_DIRS.some((d) => isUnder(pw.write.path, d)) ? filesOf(pw, ctx) : overlayFiles(pw, ctx, TMPFILES_DIRS);
    for (const f of files) {
      if (f.content === undefined) {
        unknown.push(pw);
        continue;
      }
      for (const line of f.content.split('\n')) {
        const fields = line.trim().split(/\s+/);
        const m = /^([a-zA-Z])[+!~^=-]*$/.exec(fields[0] ?? '');
        const p = fields[1];
        if (!m?.[1] || !p?.startsWith('/')) continue;
        entries.push({ type: m[1], path: resolvePath(p), argument: fields.slice(6).join(' ') || '-', pw });
      }
    }
  }
  return { entries, unknown };
}

/** Types that make a directory or a link exist at boot. */
export const CREATING_TYPES = new Set(['d', 'D', 'v', 'q', 'Q', 'L']);
