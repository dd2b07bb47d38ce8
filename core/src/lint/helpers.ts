import type { Range, TextEdit } from 'vscode-languageserver-types';
import { rootStage, shippedInstructions, type ContainerfileModel, type InstructionInfo } from '../model/containerfile';
import type { RemoveEffect, WriteEffect } from '../model/effects';
import { removalCandidates } from '../model/indexes';
import { coversPath, isUnder, resolvePath } from '../model/paths';

/** A write together with the instruction that made it. */
export interface PlacedWrite {
  info: InstructionInfo;
  write: WriteEffect;
}

export function shippedWrites(model: ContainerfileModel): PlacedWrite[] {
  return shippedInstructions(model).flatMap((info) => info.writes.map((write) => ({ info, write })));
}

/** A tmpfs or cache mount of this RUN covers the path, so nothing reaches the layer. */
export function mountCovers(info: InstructionInfo, p: string, types = ['tmpfs', 'cache']): boolean {
  return info.mounts.some((m) => types.includes(m.type) && m.target !== undefined && isUnder(p, m.target));
}

function removalCovers(r: RemoveEffect, p: string): boolean {
  return coversPath(r.path, p) && (r.recursive || r.path === p || r.path.includes('*'));
}

/** Removed after it was written: later in the same RUN, or by a later instruction of the final image. */
export function removedLater(model: ContainerfileModel, info: InstructionInfo, p: string, order: number): RemoveEffect | undefined {
  const same = info.removes.find((r) => r.order > order && removalCovers(r, p));
  if (same) return same;
  for (const r of removalCandidates(model, p)) {
    if (r.index > info.index && removalCovers(r.effect, p)) return r.effect;
  }
  return undefined;
}

/** Written content that survives into the final image. */
export function lasting(model: ContainerfileModel, pw: PlacedWrite): boolean {
  return !mountCovers(pw.info, pw.write.path) && !removedLater(model, pw.info, pw.write.path, pw.write.order);
}

interface LinkEvent {
  index: number;
  order: number;
  path: string;
  target?: string;
}

const NO_LINKS: Record<string, string> = Object.freeze({});

const linkEvents = new WeakMap<ContainerfileModel, LinkEvent[]>();

/** Removals of top-level paths and top-level `ln -s …var…` links: the only things that change the layout. */
function layoutEvents(model: ContainerfileModel): LinkEvent[] {
  let ev = linkEvents.get(model);
  if (!ev) {
    ev = [];
    for (const info of shippedInstructions(model)) {
      for (const r of info.removes) if (r.path.split('/').length === 2) ev.push({ index: info.index, order: r.order, path: r.path });
      for (const w of info.writes) {
        if (w.via === 'ln' && w.linkTarget && /(^|\/)var\//.test(w.linkTarget) && w.path.split('/').length === 2) {
          ev.push({ index: info.index, order: w.order, path: w.path, target: resolvePath(w.linkTarget, '/') });
        }
      }
    }
    ev.sort((a, b) => a.index - b.index || a.order - b.order);
    linkEvents.set(model, ev);
  }
  return ev;
}

/**
 * Top-level links into /var at this instruction: the base family's, changed by earlier
 * `ln -s` or `rm` of those paths in the final image's stages (`rm /opt && mkdir /opt`).
 */
export function varLinksAt(model: ContainerfileModel, at: InstructionInfo, order = -1): Record<string, string> {
  const base = rootStage(model)?.family?.varLinks ?? NO_LINKS;
  const events = layoutEvents(model);
  if (events.length === 0 || (events[0]?.index ?? 0) > at.index) return base;
  const links: Record<string, string> = { ...base };
  for (const e of events) {
    // Earlier instructions, and earlier commands of this one (`rm /opt && mkdir /opt`).
    if (e.index > at.index || (e.index === at.index && e.order >= order)) break;
    if (e.target) links[e.path] = e.target;
    else delete links[e.path];
  }
  return links;
}

/** Where a path really lands, following the base's links into /var. */
export function realPath(p: string, links: Record<string, string>): { path: string; via?: string } {
  for (const [from, to] of Object.entries(links)) {
    if (isUnder(p, from)) return { path: to + p.slice(from.length), via: from };
  }
  return { path: p };
}

function lineEnd(model: ContainerfileModel, line: number): number {
  return model.doc.offsetAt({ line, character: Number.MAX_SAFE_INTEGER });
}

/** Inserts whole lines after an instruction. */
export function insertAfter(model: ContainerfileModel, info: InstructionInfo, lines: string): TextEdit {
  const pos = model.doc.positionAt(lineEnd(model, info.range.end.line));
  return { range: { start: pos, end: pos }, newText: `\n${lines}` };
}

/** Inserts whole lines before an instruction (above its comments' line). */
export function insertBefore(info: InstructionInfo, lines: string): TextEdit {
  const pos = { line: info.range.start.line, character: 0 };
  return { range: { start: pos, end: pos }, newText: `${lines}\n` };
}

/** Appends lines at the end of the file, after a newline when needed. */
export function appendToFile(model: ContainerfileModel, lines: string): TextEdit {
  const end = model.doc.positionAt(model.text.length);
  const sep = model.text.length === 0 || model.text.endsWith('\n') ? '' : '\n';
  return { range: { start: end, end }, newText: `${sep}${lines}\n` };
}

/** Appends a shell command to a RUN so it runs last: `&& cmd` for shell form, a new line in a heredoc script. */
export function appendToRun(_model: ContainerfileModel, info: InstructionInfo, command: string): TextEdit | undefined {
  const heredoc = info.heredocs.find((h) => h.getDelimiterRange());
  if (heredoc) {
    const delim = heredoc.getDelimiterRange();
    if (!delim) return undefined;
    const pos = { line: delim.start.line, character: 0 };
    return { range: { start: pos, end: pos }, newText: `${command}\n` };
  }
  const last = info.commands[info.commands.length - 1];
  if (!last) return undefined;
  const end = info.range.end;
  return { range: { start: end, end }, newText: ` && \\\n    ${command}` };
}

export function rangeOf(model: ContainerfileModel, start: number, end: number): Range {
  return { start: model.doc.positionAt(start), end: model.doc.positionAt(end) };
}

/** A short, file-name-safe name for generated files: `/var/lib/my app` → `my-app`. */
export function slug(p: string): string {
  const last = p.split('/').filter(Boolean).pop() ?? 'bootc';
  return (
    last
      .replace(/\$\{?\w+\}?/g, 'x')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'bootc'
  );
}

/**
 * Quick fixes that add a file to the image: a `COPY <<EOF` heredoc (podman >= 4.8) and, for older
 * podman/buildah (Debian 12's 4.3 fails on heredocs), the same content as a build-context file.
 */
export function addFileFixes(
  model: ContainerfileModel,
  after: InstructionInfo,
  dest: string,
  content: string,
  what: string,
): {
  heredoc: { title: string; edits: TextEdit[] };
  contextFile: { title: string; edits: TextEdit[]; createFile: { relativePath: string; content: string } };
} {
  const body = content.endsWith('\n') ? content : `${content}\n`;
  const base = dest.split('/').pop() ?? 'file';
  return {
    heredoc: {
      title: `Add ${what} as a COPY heredoc (${dest})`,
      edits: [insertAfter(model, after, `COPY <<EOF ${dest}\n${body}EOF`)],
    },
    contextFile: {
      title: `Add ${what} as build-context file ${base} (podman < 4.8)`,
      edits: [insertAfter(model, after, `COPY ${base} ${dest}`)],
      createFile: { relativePath: base, content: body },
    },
  };
}
