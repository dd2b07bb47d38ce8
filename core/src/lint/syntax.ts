import { validate, ValidationCode, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import type { Finding, RuleMeta } from './rule';
// Installs the shared parse so validate() reuses the model's tree.
import '../model/ast';

/**
 * dockerfile-utils' codes are "not API" numbers; we publish stable ids instead. Codes that
 * share a meaning share an id (all unknown-flag codes are `dockerfile-unknown-flag`).
 */
const IDS: Record<string, { id: string; description: string }> = {
  CASING_INSTRUCTION: { id: 'dockerfile-instruction-casing', description: 'Instructions should be upper case.' },
  CASING_DIRECTIVE: { id: 'dockerfile-directive-casing', description: 'Parser directives should be lower case.' },
  ARGUMENT_MISSING: { id: 'dockerfile-argument-count', description: 'An instruction has too few or too many arguments.' },
  EMPTY_CONTINUATION_LINE: { id: 'dockerfile-empty-continuation', description: 'An empty line inside a line continuation.' },
  DUPLICATE_BUILD_STAGE_NAME: { id: 'dockerfile-stage-name', description: 'A build stage name is duplicated or invalid.' },
  FLAG_DUPLICATE: { id: 'dockerfile-flag-value', description: 'A flag is duplicated or has an invalid value.' },
  NO_SOURCE_IMAGE: { id: 'dockerfile-no-from', description: 'The file has no FROM, or FROM has no image.' },
  INVALID_ESCAPE_DIRECTIVE: { id: 'dockerfile-directive', description: 'A parser directive is invalid or duplicated.' },
  INVALID_AS: { id: 'dockerfile-from-syntax', description: 'FROM has an invalid AS or image reference.' },
  INVALID_DESTINATION: { id: 'dockerfile-copy-destination', description: 'COPY/ADD with several sources needs a directory destination.' },
  INVALID_PORT: { id: 'dockerfile-expose-syntax', description: 'EXPOSE has an invalid port or protocol.' },
  INVALID_SIGNAL: { id: 'dockerfile-invalid-signal', description: 'STOPSIGNAL has an invalid signal.' },
  ONBUILD_CHAINING_DISALLOWED: { id: 'dockerfile-onbuild', description: 'ONBUILD has a trigger that is not allowed.' },
  SHELL_JSON_FORM: { id: 'dockerfile-shell-syntax', description: 'SHELL must be a JSON array with at least one element.' },
  SYNTAX_MISSING_EQUALS: { id: 'dockerfile-property-syntax', description: 'An ARG, ENV or LABEL is malformed (missing =, name or quote).' },
  MULTIPLE_INSTRUCTIONS: {
    id: 'dockerfile-multiple-instructions',
    description: 'More than one CMD, ENTRYPOINT or HEALTHCHECK in a stage.',
  },
  UNKNOWN_INSTRUCTION: { id: 'dockerfile-unknown-instruction', description: 'An unknown instruction.' },
  UNKNOWN_ADD_FLAG: { id: 'dockerfile-unknown-flag', description: 'An unknown flag on ADD, COPY, FROM or HEALTHCHECK.' },
  UNKNOWN_TYPE: { id: 'dockerfile-healthcheck-syntax', description: 'HEALTHCHECK has an unknown type or no command.' },
  UNSUPPORTED_MODIFIER: { id: 'dockerfile-variable-modifier', description: 'A variable substitution uses an unsupported modifier.' },
  DEPRECATED_MAINTAINER: { id: 'dockerfile-deprecated-maintainer', description: 'MAINTAINER is deprecated; use a LABEL.' },
  JSON_IN_SINGLE_QUOTES: { id: 'dockerfile-json-single-quotes', description: 'A JSON array written with single quotes is not JSON.' },
  WORKDIR_IS_NOT_ABSOLUTE: { id: 'dockerfile-relative-workdir', description: 'WORKDIR should be absolute.' },
  BASE_NAME_EMPTY: { id: 'dockerfile-empty-base', description: 'FROM expands to an empty image name.' },
};

const ALIASES: Record<string, string> = {
  ARGUMENT_EXTRA: 'ARGUMENT_MISSING',
  ARGUMENT_REQUIRES_ONE: 'ARGUMENT_MISSING',
  ARGUMENT_REQUIRES_AT_LEAST_ONE: 'ARGUMENT_MISSING',
  ARGUMENT_REQUIRES_TWO: 'ARGUMENT_MISSING',
  ARGUMENT_REQUIRES_AT_LEAST_TWO: 'ARGUMENT_MISSING',
  ARGUMENT_REQUIRES_ONE_OR_THREE: 'ARGUMENT_MISSING',
  ARGUMENT_UNNECESSARY: 'ARGUMENT_MISSING',
  INVALID_BUILD_STAGE_NAME: 'DUPLICATE_BUILD_STAGE_NAME',
  FLAG_AT_LEAST_ONE: 'FLAG_DUPLICATE',
  FLAG_INVALID_DURATION: 'FLAG_DUPLICATE',
  FLAG_LESS_THAN_1MS: 'FLAG_DUPLICATE',
  FLAG_MISSING_DURATION: 'FLAG_DUPLICATE',
  FLAG_MISSING_VALUE: 'FLAG_DUPLICATE',
  FLAG_UNKNOWN_UNIT: 'FLAG_DUPLICATE',
  FLAG_INVALID_FROM_VALUE: 'FLAG_DUPLICATE',
  FLAG_EXPECTED_BOOLEAN_VALUE: 'FLAG_DUPLICATE',
  INVALID_PROTO: 'INVALID_PORT',
  INVALID_REFERENCE_FORMAT: 'INVALID_AS',
  INVALID_SYNTAX: 'FLAG_DUPLICATE',
  ONBUILD_TRIGGER_DISALLOWED: 'ONBUILD_CHAINING_DISALLOWED',
  SHELL_REQUIRES_ONE: 'SHELL_JSON_FORM',
  SYNTAX_MISSING_NAMES: 'SYNTAX_MISSING_EQUALS',
  SYNTAX_MISSING_SINGLE_QUOTE: 'SYNTAX_MISSING_EQUALS',
  SYNTAX_MISSING_DOUBLE_QUOTE: 'SYNTAX_MISSING_EQUALS',
  UNKNOWN_COPY_FLAG: 'UNKNOWN_ADD_FLAG',
  UNKNOWN_FROM_FLAG: 'UNKNOWN_ADD_FLAG',
  UNKNOWN_HEALTHCHECK_FLAG: 'UNKNOWN_ADD_FLAG',
  HEALTHCHECK_CMD_ARGUMENT_MISSING: 'UNKNOWN_TYPE',
  DUPLICATED_ESCAPE_DIRECTIVE: 'INVALID_ESCAPE_DIRECTIVE',
};

/** Every key must be given: a partial settings object silently disables the rest. */
const SETTINGS: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.WARNING,
  directiveCasing: ValidationSeverity.WARNING,
  emptyContinuationLine: ValidationSeverity.WARNING,
  instructionCasing: ValidationSeverity.WARNING,
  instructionCmdMultiple: ValidationSeverity.WARNING,
  instructionEntrypointMultiple: ValidationSeverity.WARNING,
  instructionHealthcheckMultiple: ValidationSeverity.WARNING,
  instructionJSONInSingleQuotes: ValidationSeverity.WARNING,
  instructionWorkdirRelative: ValidationSeverity.WARNING,
};

function idFor(code: unknown): string {
  const name = typeof code === 'number' ? (ValidationCode as unknown as Record<number, string>)[code] : undefined;
  const key = name ? (ALIASES[name] ?? name) : undefined;
  return (key && IDS[key]?.id) ?? 'dockerfile-syntax';
}

/** Metadata of the syntax ids, for `bootc-lab rules` and docs. */
export const SYNTAX_RULES: RuleMeta[] = [
  ...Object.values(IDS).map((v) => ({
    id: v.id,
    severity: 'error' as const,
    category: 'syntax' as const,
    description: v.description,
    fixable: false,
    why: 'podman build rejects or misreads this instruction.',
    bad: '',
    good: '',
  })),
  {
    id: 'dockerfile-syntax',
    severity: 'error',
    category: 'syntax',
    description: 'Other Dockerfile syntax errors reported by dockerfile-utils.',
    fixable: false,
    why: 'podman build rejects or misreads this instruction.',
    bad: '',
    good: '',
  },
];

/** Runs dockerfile-utils; podman-specific flags it does not know are not reported. */
export function syntaxFindings(text: string): Finding[] {
  let diags;
  try {
    diags = validate(text, SETTINGS);
  } catch {
    return [];
  }
  const out: Finding[] = [];
  for (const d of diags) {
    const id = idFor(d.code);
    const message = typeof d.message === 'string' ? d.message : d.message.value;
    // BuildKit's ADD --unpack is valid but unknown to dockerfile-utils.
    if (id === 'dockerfile-unknown-flag' && /unpack/.test(message)) continue;
    out.push({
      rule: id,
      severity: d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info',
      message,
      range: d.range,
      source: 'dockerfile',
    });
  }
  return out;
}
