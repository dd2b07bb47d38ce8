import { buildModel, type ContainerfileModel } from '../model/containerfile';
import { initShellParser } from '../shell/parser';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG, type LintConfig } from './config';
import type { BuildContext, Finding, Rule } from './rule';
import { isSuppressed, readSuppressions } from './suppress';
import { syntaxFindings } from './syntax';

export interface LintOptions {
  config?: LintConfig;
  buildContext?: BuildContext;
  rules?: readonly Rule[];
  /** Called when a rule throws; the other rules still run. */
  onRuleError?: (rule: string, error: unknown) => void;
}

export interface LintResult {
  model: ContainerfileModel;
  findings: Finding[];
  /** bootc rules ran (the file looks like a bootc image, or detection is `always`). */
  bootc: boolean;
}

export const NO_CONTEXT: BuildContext = { read: () => undefined };

export async function lintText(text: string, uri: string, opts: LintOptions = {}): Promise<LintResult> {
  await initShellParser();
  return lintModel(buildModel(text, uri), opts);
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.rule.localeCompare(b.rule);
}

/** Runs the rules on a model, then applies severities, `off`, ignores and suppression comments. */
export function lintModel(model: ContainerfileModel, opts: LintOptions = {}): LintResult {
  const config = opts.config ?? DEFAULT_CONFIG;
  const bootc = config.detect === 'always' || model.bootcSignals.length > 0;
  const raw: Finding[] = [];
  if (bootc) {
    for (const rule of opts.rules ?? ALL_RULES) {
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
  if (config.syntax) raw.push(...syntaxFindings(model.text));
  const sup = readSuppressions(model);
  const ignored = new Set(config.ignore);
  const findings: Finding[] = [];
  for (const f of raw) {
    const setting = config.rules[f.rule];
    if (setting === 'off' || ignored.has(f.rule)) continue;
    if (isSuppressed(model, sup, f.rule, f.range.start.line)) continue;
    findings.push(setting ? { ...f, severity: setting } : f);
  }
  return { model, findings: findings.sort(byPosition), bootc };
}
