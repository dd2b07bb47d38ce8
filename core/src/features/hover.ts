import type { Hover, Position, Range } from 'vscode-languageserver-types';
import { classifyImage, parseImageRef } from '../model/base-images';
import type { ContainerfileModel } from '../model/containerfile';
import { varLinksAt } from '../lint/helpers';
import type { Finding } from '../lint/rule';
import { describePath } from './path-info';
import { docsUrl, ruleMeta } from './docs';

function contains(r: Range, p: Position): boolean {
  const after = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const before = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return after && before;
}

/** Hover: rule explanations on findings, bootc semantics on paths, family and layout on FROM images. */
export function hover(model: ContainerfileModel, findings: Finding[], pos: Position, docsBase?: string): Hover | null {
  const parts: string[] = [];
  let range: Range | undefined;
  for (const f of findings) {
    if (!contains(f.range, pos)) continue;
    const meta = ruleMeta(f.rule);
    if (!meta) continue;
    range ??= f.range;
    parts.push(`**${f.rule}** (${f.severity}): ${meta.description}\n\n${meta.why}\n\n[Rule documentation](${docsUrl(f.rule, docsBase)})`);
  }
  const info = model.instructions.find((i) => contains(i.range, pos));
  if (info) {
    const stage = info.stage;
    if (info.keyword === 'FROM' && contains(stage.imageRange, pos)) {
      range ??= stage.imageRange;
      parts.push(fromHover(model, stage.image, stage.parent?.name ?? (stage.parent ? String(stage.parent.index) : undefined)));
    } else {
      const word = [
        ...info.writes.map((w) => ({ value: w.path, range: w.range })),
        ...info.commands.flatMap((c) => c.args.map((a) => ({ value: a.value, range: a.range }))),
      ].find((w) => w.value.startsWith('/') && contains(w.range, pos));
      if (word) {
        const p = word.value.startsWith('/') ? word.value : word.value;
        const d = describePath(p, varLinksAt(model, info));
        range ??= word.range;
        parts.push(`**${p}** on a booted bootc system: *${d.title}*\n\n${d.detail}`);
      }
    }
  }
  const line = model.text.split('\n')[pos.line] ?? '';
  const m = /#\s*bootc-lint\s+(?:global\s+)?ignore\s*=\s*([\w,\s-]+)/.exec(line);
  if (m && parts.length === 0) {
    const start = line.indexOf(m[1] ?? '');
    const ids = (m[1] ?? '').split(',').map((s) => s.trim());
    let off = start;
    for (const id of (m[1] ?? '').split(',')) {
      const t = id.trim();
      const s = off + id.indexOf(t);
      if (pos.character >= s && pos.character <= s + t.length) {
        const meta = ruleMeta(t);
        parts.push(meta ? `**${t}**: ${meta.description}` : `Unknown rule id **${t}** (known: see \`bootc-lab rules\`)`);
        range = { start: { line: pos.line, character: s }, end: { line: pos.line, character: s + t.length } };
      }
      off += id.length + 1;
    }
    void ids;
  }
  if (parts.length === 0) return null;
  return { contents: { kind: 'markdown', value: parts.join('\n\n---\n\n') }, range };
}

function fromHover(model: ContainerfileModel, image: string, stage: string | undefined): string {
  if (stage !== undefined) return `**${image}**: build stage \`${stage}\` of this file. Its content and layout carry over into this stage.`;
  if (image.toLowerCase() === 'scratch')
    return '**scratch**: an empty image. A bootc image built from scratch needs a whole root filesystem, a kernel in /usr/lib/modules and `LABEL containers.bootc=1`.';
  const fam = classifyImage(image);
  const ref = parseImageRef(image);
  const pin = ref.digest ? `pinned by digest` : ref.tag ? `tag \`${ref.tag}\`` : 'no tag (means `latest`)';
  if (!fam) return `**${image}**: not a known base (${pin}). If it is a bootc image, it should carry \`LABEL containers.bootc=1\`.`;
  const links = Object.entries(fam.varLinks).map(([a, b]) => `\`${a}\` → \`${b}\``);
  const lines = [
    `**${image}**: ${fam.title} (${fam.kind === 'bootc' ? 'bootc base' : 'not a bootc base'}; ${pin})`,
    fam.kind === 'bootc'
      ? 'Ships a kernel in /usr/lib/modules, bootc and the `containers.bootc=1` label.'
      : 'No kernel, no bootc, no `containers.bootc` label: a custom bootc image must add all three.',
    links.length
      ? `Links into /var: ${links.join(', ')}. Content written there is machine state, not image content.`
      : 'No top-level links into /var.',
  ];
  if (fam.docs) lines.push(`[Documentation](${fam.docs})`);
  void model;
  return lines.join('\n\n');
}
