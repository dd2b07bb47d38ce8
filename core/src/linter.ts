import { lintModel as runRules, lintText as runText, type LintOptions, type LintResult } from './lint/engine';
import type { ContainerfileModel } from './model/containerfile';
import { ALL_RULES } from './rules';

/*
 * The engine (lint/) runs whatever rules it is given and the rules (rules/) build on the engine's
 * helpers; this module, above both, is where the registered rule set becomes the default.
 */

/** Lints a document with every registered rule unless `opts.rules` says otherwise. */
export function lintText(text: string, uri: string, opts: LintOptions = {}): Promise<LintResult> {
  return runText(text, uri, { ...opts, rules: opts.rules ?? ALL_RULES });
}

/** Runs the registered rules (or `opts.rules`) on a model already built. */
export function lintModel(model: ContainerfileModel, opts: LintOptions = {}): LintResult {
  return runRules(model, { ...opts, rules: opts.rules ?? ALL_RULES });
}
