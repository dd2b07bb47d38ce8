import { CompletionItemKind, InsertTextFormat, type CompletionItem, type Position } from 'vscode-languageserver-types';
import { KNOWN_BASES } from '../model/base-images';
import type { ContainerfileModel } from '../model/containerfile';
import { allRuleMeta } from './docs';

export const BOOTC_LINTS = [
  'api-base-directories',
  'baseimage-composefs',
  'baseimage-root',
  'bootc-kargs',
  'buildah-injected',
  'etc-usretc',
  'kernel',
  'nonempty-boot',
  'nonempty-run-tmp',
  'sysusers',
  'utf8',
  'var-log',
  'var-run',
  'var-tmpfiles',
];

const LINT_FLAGS: { flag: string; doc: string; snippet?: string }[] = [
  {
    flag: '--fatal-warnings',
    doc: 'Make warnings fatal (bootc ≥ 1.1.5). Recommended: warnings such as var-tmpfiles and sysusers otherwise ship silently.',
  },
  {
    flag: '--skip',
    doc: 'Skip a lint by name (bootc ≥ 1.1.6). Unknown names are silently ignored, so pick from the list.',
    snippet: '--skip ${1|' + BOOTC_LINTS.join(',') + '|}',
  },
  { flag: '--no-truncate', doc: 'Print every offending path instead of the first five (bootc ≥ 1.3.0).' },
  {
    flag: '--rootfs',
    doc: 'Lint another root filesystem (e.g. a stage bind-mounted with RUN --mount=type=bind,from=final,target=/target). Not `/` means Alternative mode: buildah-injected runs, var-tmpfiles is skipped.',
    snippet: '--rootfs ${1:/target}',
  },
];

/** Completion: bootc base images in FROM, lint flags on `bootc container lint`, rule ids in ignore comments. */
export function complete(model: ContainerfileModel, pos: Position): CompletionItem[] {
  const line = model.text.split('\n')[pos.line] ?? '';
  const before = line.slice(0, pos.character);
  if (/^\s*FROM\s+(--\S+\s+)*\S*$/i.test(before)) {
    const items: CompletionItem[] = [];
    KNOWN_BASES.forEach((b, i) => {
      b.tags.forEach((t, j) => {
        items.push({
          label: `${b.image}:${t}`,
          kind: CompletionItemKind.Module,
          detail: b.family,
          sortText: `${String(i).padStart(3, '0')}${String(j).padStart(3, '0')}`,
          filterText: `${b.image}:${t}`,
        });
      });
    });
    for (const s of model.stages) {
      if (s.name && s.from.getRange().start.line < pos.line)
        items.push({ label: s.name, kind: CompletionItemKind.Reference, detail: 'build stage', sortText: 'zzz' });
    }
    return items;
  }
  if (/bootc\s+container\s+lint\b[^|;&]*$/.test(before)) {
    if (/--skip[ =]\S*$/.test(before))
      return BOOTC_LINTS.map((l) => ({ label: l, kind: CompletionItemKind.EnumMember, detail: 'bootc lint' }));
    return LINT_FLAGS.map((f) => ({
      label: f.flag,
      kind: CompletionItemKind.Property,
      documentation: f.doc,
      insertText: f.snippet ?? f.flag,
      insertTextFormat: f.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    }));
  }
  if (/#\s*bootc-lint\s+(global\s+)?ignore\s*=\s*([\w-]+,\s*)*[\w-]*$/.test(before)) {
    return allRuleMeta().map((m) => ({
      label: m.id,
      kind: CompletionItemKind.EnumMember,
      detail: m.severity,
      documentation: m.description,
    }));
  }
  return [];
}
