import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SeveritySetting } from './rule';

/** Lint options shared by the server and the CLI. */
export interface LintConfig {
  /** `auto`: bootc rules only for files that look like bootc images; `always`: every file. */
  detect: 'auto' | 'always';
  /** Report dockerfile-utils syntax diagnostics. */
  syntax: boolean;
  /** Per-rule severity or `off`. */
  rules: Record<string, SeveritySetting>;
  /** Rules ignored everywhere (same as `off`). */
  ignore: string[];
}

export const DEFAULT_CONFIG: LintConfig = { detect: 'auto', syntax: true, rules: {}, ignore: [] };

export const CONFIG_FILE_NAMES = ['.bootc-lint.yaml', '.bootc-lint.yml'];

const SEVERITIES = new Set(['error', 'warning', 'info', 'off']);

export class ConfigError extends Error {}

/** Parses `.bootc-lint.yaml` text; unknown keys and bad values are errors, so typos do not silently do nothing. */
export function parseConfig(text: string, file = '.bootc-lint.yaml'): Partial<LintConfig> {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${file}: expected a mapping at the top level`);
  const out: Partial<LintConfig> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    switch (k) {
      case 'detect':
        if (v !== 'auto' && v !== 'always') throw new ConfigError(`${file}: detect must be "auto" or "always"`);
        out.detect = v;
        break;
      case 'syntax':
        if (typeof v !== 'boolean') throw new ConfigError(`${file}: syntax must be true or false`);
        out.syntax = v;
        break;
      case 'rules': {
        if (typeof v !== 'object' || v === null || Array.isArray(v))
          throw new ConfigError(`${file}: rules must map rule ids to error|warning|info|off`);
        const rules: Record<string, SeveritySetting> = {};
        for (const [id, sev] of Object.entries(v as Record<string, unknown>)) {
          const s = sev === false ? 'off' : sev;
          if (typeof s !== 'string' || !SEVERITIES.has(s))
            throw new ConfigError(`${file}: rules.${id} must be error, warning, info or off`);
          rules[id] = s as SeveritySetting;
        }
        out.rules = rules;
        break;
      }
      case 'ignore':
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
          throw new ConfigError(`${file}: ignore must be a list of rule ids`);
        out.ignore = v;
        break;
      default:
        throw new ConfigError(`${file}: unknown key "${k}" (expected detect, syntax, rules, ignore)`);
    }
  }
  return out;
}

/** Later layers win; rules and ignores are merged. */
export function mergeConfig(...layers: Partial<LintConfig>[]): LintConfig {
  const out: LintConfig = { ...DEFAULT_CONFIG, rules: {}, ignore: [] };
  for (const l of layers) {
    if (l.detect) out.detect = l.detect;
    if (l.syntax !== undefined) out.syntax = l.syntax;
    if (l.rules) Object.assign(out.rules, l.rules);
    if (l.ignore) out.ignore.push(...l.ignore);
  }
  return out;
}

/** Finds the nearest `.bootc-lint.yaml` from `dir` upwards (stopping at `stopAt` when given). */
export function findConfigFile(dir: string, stopAt?: string): string | undefined {
  let cur = path.resolve(dir);
  for (;;) {
    for (const n of CONFIG_FILE_NAMES) {
      const p = path.join(cur, n);
      if (fs.existsSync(p)) return p;
    }
    const up = path.dirname(cur);
    if (up === cur || (stopAt && path.resolve(stopAt) === cur)) return undefined;
    cur = up;
  }
}

export function loadConfigFile(file: string): Partial<LintConfig> {
  return parseConfig(fs.readFileSync(file, 'utf8'), file);
}
