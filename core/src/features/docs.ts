import { ALL_RULES } from '../rules';
import { SYNTAX_RULES } from '../lint/syntax';
import { ENGINE_RULES } from '../lint/engine';
import type { RuleMeta } from '../lint/rule';

/** Where rule docs live when no editor-specific location is given. */
export const DEFAULT_DOCS_BASE = 'https://github.com/bootc-lab/bootc-lab/blob/main/docs/rules/';

const META = new Map<string, RuleMeta>([
  ...ALL_RULES.map((r) => [r.meta.id, r.meta] as const),
  ...SYNTAX_RULES.map((m) => [m.id, m] as const),
  ...ENGINE_RULES.map((m) => [m.id, m] as const),
]);

export function ruleMeta(id: string): RuleMeta | undefined {
  return META.get(id);
}

export function allRuleMeta(): RuleMeta[] {
  return [...ALL_RULES.map((r) => r.meta), ...SYNTAX_RULES, ...ENGINE_RULES];
}

export function docsUrl(id: string, base = DEFAULT_DOCS_BASE): string {
  const b = base.endsWith('/') ? base : `${base}/`;
  const file = id.startsWith('dockerfile-') ? 'dockerfile-syntax' : id;
  return `${b}${file}.md`;
}
