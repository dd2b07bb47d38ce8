/** The engine's public surface: everything the server, the CLI and the client use. */
export { buildModel, type ContainerfileModel } from './model/containerfile';
export { initShellParser, useBaselineWasmCompiler } from './shell/parser';
export { NO_CONTEXT, type LintResult, type LintOptions } from './lint/engine';
export { lintModel, lintText } from './linter';
export { DEFAULT_CONFIG, mergeConfig, parseConfig, findConfigFile, loadConfigFile, ConfigError, type LintConfig } from './lint/config';
export type { Finding, Fix, Severity, SeveritySetting, RuleMeta, BuildContext } from './lint/rule';
export { ALL_RULES } from './rules';
export { allRuleMeta, ruleMeta, docsUrl, DEFAULT_DOCS_BASE } from './features/docs';
export { hover } from './features/hover';
export { complete } from './features/completion';
export { documentSymbols } from './features/symbols';
export { ignoreForFile, ignoreForInstruction } from './features/code-actions';
export { directoryContext } from './context';
