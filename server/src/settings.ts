import type { LintConfig, SeveritySetting } from '../../core/src';

/** The `bootcLab` settings section as the client sends it. */
export interface ServerSettings {
  detect?: 'auto' | 'always';
  syntaxDiagnostics?: boolean;
  rules?: Record<string, SeveritySetting>;
  lintDebounceMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 150;

export function settingsToConfig(s: ServerSettings | undefined): Partial<LintConfig> {
  const out: Partial<LintConfig> = {};
  if (!s) return out;
  if (s.detect === 'auto' || s.detect === 'always') out.detect = s.detect;
  if (typeof s.syntaxDiagnostics === 'boolean') out.syntax = s.syntaxDiagnostics;
  if (s.rules && typeof s.rules === 'object') out.rules = { ...s.rules };
  return out;
}
