import type { Range, TextEdit } from 'vscode-languageserver-types';
import type { ContainerfileModel } from '../model/containerfile';

export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';

export type Category = 'filesystem' | 'instructions' | 'kernel' | 'integration' | 'users' | 'files' | 'syntax';

export interface RuleMeta {
  /** Stable public id; never renamed or reused. */
  id: string;
  severity: Severity;
  category: Category;
  /** One line, shown in the rule list, settings and SARIF. */
  description: string;
  /** A quick fix exists for at least some findings. */
  fixable: boolean;
  /** Docs: why this matters on a booted bootc system (also the hover text). */
  why: string;
  /** Docs: a Containerfile excerpt that triggers the rule. */
  bad: string;
  /** Docs: the same intent written the bootc way. */
  good: string;
}

/** A quick fix. Edits apply to the Containerfile; `createFile` adds a build-context file. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  createFile?: { relativePath: string; content: string };
  preferred?: boolean;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  range: Range;
  source: 'containerfile' | 'dockerfile';
  fixes?: Fix[];
}

/** Files of the build context, for COPY sources. */
export interface BuildContext {
  /** Absolute directory, when known. */
  dir?: string;
  /** Returns file text, `undefined` when missing or unreadable; never throws. */
  read: (relativePath: string) => string | undefined;
  /**
   * The names of the files in a directory of the context, `undefined` when it is not a readable
   * directory; never throws. Absent when the context cannot be listed.
   */
  list?: (relativeDir: string) => string[] | undefined;
}

export interface RuleContext {
  model: ContainerfileModel;
  buildContext: BuildContext;
  report: (f: { range: Range; message: string; fixes?: Fix[]; severity?: Severity }) => void;
}

export interface Rule {
  meta: RuleMeta;
  check: (ctx: RuleContext) => void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
