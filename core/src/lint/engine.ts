import { forgetLastParse } from '../model/ast';
import { buildModel, rootStage, type CachedAnalysis, type ContainerfileModel } from '../model/containerfile';
import { initShellParser, ShellParserNotReady } from '../shell/parser';
import { DEFAULT_CONFIG, type LintConfig } from './config';
import type { BuildContext, Finding, Rule, RuleMeta } from './rule';
import { isSuppressed, readSuppressions } from './suppress';
import { syntaxFindings } from './syntax';

export interface LintOptions {
  config?: LintConfig;
  buildContext?: BuildContext;
  /** The rules to run; `linter.ts` supplies the registered set, so this layer never imports `rules/`. */
  rules?: readonly Rule[];
  /** Called when a rule throws; the other rules still run. */
  onRuleError?: (rule: string, error: unknown) => void;
  /** `analysisCache` of the previous model of the same document: unchanged instructions are not analysed again. */
  previous?: Map<string, CachedAnalysis>;
  /**
   * dockerfile-utils' findings for the same text, computed elsewhere (the CLI validates a large file
   * in a worker thread while this thread builds the model). When it fails they are computed here.
   */
  syntax?: Promise<Finding[]>;
}

export interface LintResult {
  model: ContainerfileModel;
  findings: Finding[];
  /** bootc rules ran (the file looks like a bootc image, or detection is `always`). */
  bootc: boolean;
  /** The final image's base as written, when build-arg defaults do not resolve it (detection then used the rest of the file). */
  unresolvedBase?: string;
}

export const NO_CONTEXT: BuildContext = { read: () => undefined };

/** Above this size a file is not analysed: no real Containerfile is this big, and the editor must stay responsive. */
export const MAX_LINT_CHARS = 2_000_000;

export const ENGINE_RULES: RuleMeta[] = [
  {
    id: 'file-too-large',
    severity: 'info',
    category: 'syntax',
    description: `Files larger than ${MAX_LINT_CHARS / 1_000_000} million characters are not analysed.`,
    fixable: false,
    why: 'Real Containerfiles are a few kilobytes. A file this large is almost certainly generated or not a Containerfile; analysing it would make the editor unresponsive. Split it, or lint it in CI with `bootc-lab lint`, which has the same limit.',
    bad: '',
    good: '',
  },
  {
    id: 'unresolved-base',
    severity: 'info',
    category: 'integration',
    description: "The final image's FROM uses a build argument with no default, so its base image is unknown to the linter.",
    fixable: false,
    why: 'Which rules apply depends on the base: a bootc base already has a kernel, a bootc label and links into /var; a plain distribution image has none of them. When the FROM of the final image is `${BASE_IMAGE}` with no default for `BASE_IMAGE` (the value comes from `--build-arg` in CI), bootc Lab cannot know the base, decides whether the file is a bootc image from the rest of it (bootc commands, a kernel install, bootc paths, `bootc container lint`), and does not apply the rules that need to know the base. Give the ARG a default (`ARG BASE_IMAGE=quay.io/fedora/fedora-bootc`) to lint against it.',
    bad: 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}:42\nRUN bootc container lint',
    good: 'ARG BASE_IMAGE=quay.io/fedora/fedora-bootc\nFROM ${BASE_IMAGE}:42\nRUN bootc container lint',
  },
];

export async function lintText(text: string, uri: string, opts: LintOptions = {}): Promise<LintResult> {
  if (text.length > MAX_LINT_CHARS) {
    const model = buildModel('', uri);
    const finding: Finding = {
      rule: 'file-too-large',
      severity: 'info',
      source: 'containerfile',
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      message: `Not analysed: the file has ${(text.length / 1_000_000).toFixed(1)} million characters (the limit is ${MAX_LINT_CHARS / 1_000_000} million).`,
    };
    return { model: { ...model, text }, findings: [finding], bootc: false };
  }
  let model: ContainerfileModel;
  try {
    model = buildModel(text, uri, opts.previous);
  } catch (e) {
    // Loading tree-sitter costs a short-lived CLI more than most files' whole lint: only when needed.
    if (!(e instanceof ShellParserNotReady)) throw e;
    await initShellParser();
    model = buildModel(text, uri, opts.previous);
  }
  const syntax = opts.syntax ? await opts.syntax.catch(() => undefined) : undefined;
  return lintModel(model, opts, syntax);
}

/**
 * The range, or a copy moved inside the document: dockerfile-utils reports some errors at the
 * line after the last one, and an editor rejects or misplaces a diagnostic outside its document.
 */
function clampRange(model: ContainerfileModel, r: Finding['range']): Finding['range'] {
  const doc = model.doc;
  const fits = (p: Finding['range']['start']): boolean =>
    p.line >= 0 && p.character >= 0 && p.line < doc.lineCount && p.character <= lineLength(model, p.line);
  if (fits(r.start) && fits(r.end)) return r;
  const clamp = (p: Finding['range']['start']): Finding['range']['start'] => {
    const line = Math.min(Math.max(0, p.line), doc.lineCount - 1);
    return { line, character: Math.min(Math.max(0, p.character), lineLength(model, line)) };
  };
  const start = clamp(r.start);
  const end = clamp(r.end);
  return end.line < start.line || (end.line === start.line && end.character < start.character) ? { start, end: start } : { start, end };
}

function lineLength(model: ContainerfileModel, line: number): number {
  const doc = model.doc;
  const start = doc.offsetAt({ line, character: 0 });
  const next = line + 1 < doc.lineCount ? doc.offsetAt({ line: line + 1, character: 0 }) : model.text.length;
  let end = next;
  while (end > start && (model.text[end - 1] === '\n' || model.text[end - 1] === '\r')) end--;
  return end - start;
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.rule.localeCompare(b.rule);
}

/** Runs the rules on a model, then applies severities, `off`, ignores and suppression comments. */
export function lintModel(model: ContainerfileModel, opts: LintOptions = {}, syntax?: Finding[]): LintResult {
  const config = opts.config ?? DEFAULT_CONFIG;
  const bootc = config.detect === 'always' || model.bootcSignals.length > 0;
  const raw: Finding[] = [];
  if (bootc) {
    for (const rule of opts.rules ?? []) {
      try {
        rule.check({
          model,
          buildContext: opts.buildContext ?? NO_CONTEXT,
          report: (f) =>
            raw.push({
              rule: rule.meta.id,
              severity: f.severity ?? rule.meta.severity,
              message: f.message,
              range: f.range,
              source: 'containerfile',
              fixes: f.fixes,
            }),
        });
      } catch (e) {
        opts.onRuleError?.(rule.meta.id, e);
      }
    }
  }
  const root = rootStage(model);
  const unresolvedBase = root?.unresolved ? root.image : undefined;
  if (root && unresolvedBase !== undefined) {
    raw.push({
      rule: 'unresolved-base',
      severity: 'info',
      source: 'containerfile',
      range: root.imageRange,
      message: `${unresolvedBase} cannot be resolved from the ARG defaults, so the base image is unknown: bootc detection used the rest of the file (${model.bootcSignals.length ? model.bootcSignals.join(', ') : 'no bootc signals: bootc rules off'}). Give the ARG a default to lint against that base.`,
    });
  }
  // A loop, not push(...list): a hostile file can have more syntax errors than a call has room for
  // arguments ("Maximum call stack size exceeded", found by the 10,000-document fuzz run).
  if (config.syntax) for (const f of syntax ?? syntaxFindings(model.text)) raw.push(f);
  // The shared parse is only for validate(); do not keep a large tree alive after it.
  forgetLastParse();
  const sup = readSuppressions(model);
  const ignored = new Set(config.ignore);
  const findings: Finding[] = [];
  for (const f of raw) {
    const setting = config.rules[f.rule];
    if (setting === 'off' || ignored.has(f.rule)) continue;
    if (isSuppressed(model, sup, f.rule, f.range.start.line)) continue;
    const range = clampRange(model, f.range);
    findings.push(setting || range !== f.range ? { ...f, range, severity: setting || f.severity } : f);
  }
  return { model, findings: findings.sort(byPosition), bootc, unresolvedBase };
}
