import * as posix from 'node:path/posix';
import type { PlacedWrite } from './helpers';
import type { BuildContext } from './rule';
import type { DocWord } from '../model/effects';
import { isUnder } from '../model/paths';

/** One file that ends up at `path` in the image, with its text when we can know it. */
export interface ImageFile {
  path: string;
  /** `undefined` when the content comes from somewhere we cannot read. */
  content?: string;
  /** Where the content is: a heredoc body (in this file) or a build-context source word. */
  heredoc: boolean;
  source?: DocWord;
  /** Why the content is unknown. */
  unknown?: string;
  pw: PlacedWrite;
}

/** Expands a write into the files it creates, reading COPY sources from the build context. */
export function filesOf(pw: PlacedWrite, ctx: BuildContext): ImageFile[] {
  const w = pw.write;
  if (w.content !== undefined)
    return [{ path: w.path, content: w.content, heredoc: w.via === 'copy' || w.via === 'add' || w.via === 'heredoc', pw }];
  if ((w.via !== 'copy' && w.via !== 'add') || !w.sources) return [{ path: w.path, heredoc: false, unknown: 'written by a command', pw }];
  return w.sources.map((src) => {
    const path = w.intoDirectory ? posix.join(w.path, posix.basename(src.value)) : w.path;
    if (w.fromStage) return { path, heredoc: false, source: src, unknown: `copied from ${w.fromStage}`, pw };
    if (isPattern(src)) return { path, heredoc: false, source: src, unknown: `${src.value} is a pattern`, pw };
    if (!ctx.dir)
      return { path, heredoc: false, source: src, unknown: 'the build context is not known (save the Containerfile to a folder)', pw };
    const content = ctx.read(src.value);
    if (content === undefined)
      return { path, heredoc: false, source: src, unknown: `${src.value} is not a readable file in the build context`, pw };
    return { path, content, heredoc: false, source: src, pw };
  });
}

/** A source word that names no single path: a variable or a glob. */
function isPattern(src: DocWord): boolean {
  return src.dynamic || /[*?[]/.test(src.value);
}

/**
 * The files a COPY or ADD of a whole directory tree (`COPY files /`, `COPY system_files/ /usr`)
 * puts into `dirs`, directories below its destination: the build-context directory's entries at the
 * same relative place, read from the context. A source we cannot look into gives one file of
 * unknown content, so rules can stay quiet; a source that is a plain file puts nothing there.
 * Copies from other stages are not expanded: the tree there is built, not in the context.
 */
export function overlayFiles(pw: PlacedWrite, ctx: BuildContext, dirs: readonly string[]): ImageFile[] {
  const w = pw.write;
  if ((w.via !== 'copy' && w.via !== 'add') || !w.sources || w.fromStage) return [];
  const below = dirs.filter((d) => d !== w.path && isUnder(d, w.path));
  if (below.length === 0) return [];
  const out: ImageFile[] = [];
  for (const src of w.sources) {
    // Listed once per source: this runs on every keystroke for each COPY over an ancestor.
    const top = !isPattern(src) && ctx.dir ? ctx.list?.(src.value) : undefined;
    const why = top ? undefined : unreadableTree(src, w.via, ctx);
    if (why) {
      out.push({ path: below[0] ?? w.path, heredoc: false, source: src, unknown: why, pw });
      continue;
    }
    // A plain file lands beside the directories, not in them.
    if (!top) continue;
    for (const dir of below) {
      const inner = posix.join(src.value, posix.relative(w.path, dir));
      for (const name of ctx.list?.(inner) ?? []) {
        const from = posix.join(inner, name);
        const content = ctx.read(from);
        const file: ImageFile = { path: posix.join(dir, name), content, heredoc: false, source: src, pw };
        if (content === undefined) file.unknown = `${from} is not readable in the build context`;
        out.push(file);
      }
    }
  }
  return out;
}

/** Why the tree a COPY/ADD source brings cannot be read, or undefined when it is a plain file. */
function unreadableTree(src: DocWord, via: string, ctx: BuildContext): string | undefined {
  if (isPattern(src)) return `${src.value} is a pattern`;
  if (via === 'add' && /^[a-z]+:\/\/|\.(tar|tgz|txz|tbz2?)(\.\w+)?$/i.test(src.value)) return `${src.value} is unpacked by ADD`;
  if (!ctx.dir || !ctx.list) return 'the build context is not known (save the Containerfile to a folder)';
  if (ctx.read(src.value) === undefined) return `${src.value} is not readable in the build context`;
  return undefined;
}
