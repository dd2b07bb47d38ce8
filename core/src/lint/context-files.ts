import * as posix from 'node:path/posix';
import type { PlacedWrite } from './helpers';
import type { BuildContext } from './rule';
import type { DocWord } from '../model/effects';

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
    if (src.dynamic || /[*?[]/.test(src.value)) return { path, heredoc: false, source: src, unknown: `${src.value} is a pattern`, pw };
    if (!ctx.dir)
      return { path, heredoc: false, source: src, unknown: 'the build context is not known (save the Containerfile to a folder)', pw };
    const content = ctx.read(src.value);
    if (content === undefined)
      return { path, heredoc: false, source: src, unknown: `${src.value} is not a readable file in the build context`, pw };
    return { path, content, heredoc: false, source: src, pw };
  });
}
