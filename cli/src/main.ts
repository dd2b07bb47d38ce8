import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import {
  ConfigError,
  allRuleMeta,
  directoryContext,
  findConfigFile,
  lintText,
  loadConfigFile,
  mergeConfig,
  useBaselineWasmCompiler,
  type Finding,
  type LintConfig,
} from '../../core/src';
import { formatSarif, formatText, toJson, type JsonFinding } from './formats';

const VERSION = '0.1.0';

const USAGE = `bootc-lab ${VERSION}: bootc-aware Containerfile linter and language server

Usage:
  bootc-lab lint [--format text|json|sarif] [--config FILE] [--ignore RULE]... [--assume-bootc] FILE...
  bootc-lab rules [--format text|json]
  bootc-lab build [FILE] [--context DIR] [--tag TAG] [--build-arg K=V]... [--target STAGE] [--isolation X] [--connection NAME] [--no-lint]
  bootc-lab lint-image IMAGE [--file Containerfile] [--format text|json] [--no-bootc] [--raw] [--isolation X]
  bootc-lab boot IMAGE [--mode quick|install|pxe] [--wait login|ssh] [--exec CMD] [--timeout SECONDS] [--memory MB] [--cpus N] [--cloud-init DIR] [--state DIR [--redeploy]] [--json]
    [--firmware FILE] [--disk-size GB] [--filesystem FS] [--install-in auto|podman|vm] [--tpm] [--podman PATH] [--connection NAME] [--remote]
    [--then upgrade=IMAGE|rollback]...   (install mode: the VM's own bootc switch/rollback, a reboot, --exec again)
  bootc-lab boot IMAGE --backend libvirt [--name NAME] [--connect URI] [--detach] [same options as boot]
  bootc-lab vm list|start NAME|stop NAME|rm NAME|ssh NAME [--connect URI] [--json]
  bootc-lab boot IMAGE --mode pxe [--pxe-tree DIR] [same options as boot]
  bootc-lab export pxe IMAGE DIR [--base-url URL]
  bootc-lab diff OLD NEW [--file Containerfile] [--format text|json] [--content] [--all]
  bootc-lab init --template NAME [DIR] [--force]   (bootc-lab init --list shows the templates)
  bootc-lab measure IMAGE [IMAGE…] [--modes plain,quick,install] [--runs N] [--exec CMD] [--json] [--out FILE]
    [--format json|markdown|csv] [--settle SECONDS] [--memory MB] [--cpus N] [--accel auto|kvm|tcg] [--work-dir DIR]
    [--firmware FILE] [--filesystem FS] [--install-in auto|podman|vm]   (install mode)
  bootc-lab lsp --stdio

lint exits 0 when no error-severity finding is reported, 1 when at least one is,
and 2 on a usage or read error. FILE may be - for standard input.
`;

import { CliError, UsageError, buildCommandCli, lintImageCommand } from './image-commands';
import { bootCommand } from './boot-command';
import { exportCommand } from './pxe-command';
import { vmCommand } from './vm-command';
import { diffCommand } from './diff-command';
import { initCommand } from './init-command';
import { measureCommand } from './measure-command';

function out(s: string): void {
  process.stdout.write(s);
}

async function lintCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      config: { type: 'string' },
      ignore: { type: 'string', multiple: true, default: [] },
      'assume-bootc': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const format = values.format ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown --format ${format} (expected text, json or sarif)`);
  if (positionals.length === 0) throw new UsageError('lint needs at least one FILE');
  let explicit: Partial<LintConfig> | undefined;
  if (values.config) {
    if (!fs.existsSync(values.config)) throw new UsageError(`config file not found: ${values.config}`);
    explicit = loadConfigFile(values.config);
  }
  const known = new Set(allRuleMeta().map((m) => m.id));
  for (const r of values.ignore ?? []) if (!known.has(r)) throw new UsageError(`--ignore ${r}: no such rule (see bootc-lab rules)`);
  const all: JsonFinding[] = [];
  let readError = false;
  for (const file of positionals) {
    let text: string;
    let dir: string | undefined;
    try {
      if (file === '-') {
        text = fs.readFileSync(0, 'utf8');
      } else {
        const st = fs.statSync(file);
        if (st.isDirectory()) throw new Error('is a directory');
        text = fs.readFileSync(file, 'utf8');
        dir = path.dirname(path.resolve(file));
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      process.stderr.write(`bootc-lab: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
      readError = true;
      continue;
    }
    // Editors drop a UTF-8 byte order mark; do the same so columns match what the user sees.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const fileConfig = explicit ?? (dir ? loadNearest(dir) : {});
    const config = mergeConfig(fileConfig, { ignore: values.ignore ?? [] }, values['assume-bootc'] ? { detect: 'always' } : {});
    const uri = dir ? pathToFileURL(path.resolve(file)).toString() : 'untitled:stdin';
    const res = await lintText(text, uri, {
      config,
      syntax: config.syntax ? syntaxInWorker(text) : undefined,
      buildContext: directoryContext(dir),
      onRuleError: (rule, e) => process.stderr.write(`bootc-lab: internal error in rule ${rule}: ${(e as Error).message}\n`),
    });
    for (const f of res.findings) all.push(toJson(file === '-' ? '<stdin>' : file, f));
  }
  if (format === 'json') out(JSON.stringify(all, null, 2) + '\n');
  else if (format === 'sarif') out(formatSarif(all, VERSION, process.cwd()));
  else out(formatText(all, !!process.stdout.isTTY && !process.env.NO_COLOR));
  if (readError) return 2;
  return all.some((f) => f.severity === 'error') ? 1 : 0;
}

/**
 * Above this size the CLI validates the Dockerfile syntax (dockerfile-utils, which parses the text
 * again) in a worker thread while the main thread builds the model, so a second core is not idle
 * while a CI job waits. Below it the thread's start-up costs more than it saves.
 */
const PARALLEL_SYNTAX_CHARS = 100_000;
const SYNTAX_WORKER = path.join(__dirname, 'cli-syntax-worker.js');

function syntaxInWorker(text: string): Promise<Finding[]> | undefined {
  // From sources (tests run the CLI under tsx) there is no bundled worker: validate in line.
  if (text.length < PARALLEL_SYNTAX_CHARS || !fs.existsSync(SYNTAX_WORKER)) return undefined;
  return new Promise((resolve, reject) => {
    const worker = new Worker(SYNTAX_WORKER, { workerData: text });
    worker.once('message', (findings: Finding[]) => resolve(findings));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`syntax worker exited with ${code}`)));
  });
}

function loadNearest(dir: string): Partial<LintConfig> {
  const file = findConfigFile(dir);
  return file ? loadConfigFile(file) : {};
}

function rulesCommand(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { format: { type: 'string', default: 'text' } } });
  const rules = allRuleMeta().map((m) => ({
    id: m.id,
    severity: m.severity,
    category: m.category,
    description: m.description,
    fixable: m.fixable,
    docs: m.category === 'syntax' ? 'docs/rules/dockerfile-syntax.md' : `docs/rules/${m.id}.md`,
  }));
  if (values.format === 'json') out(JSON.stringify(rules, null, 2) + '\n');
  else if (values.format === 'text') {
    const w = Math.max(...rules.map((r) => r.id.length));
    for (const r of rules) out(`${r.id.padEnd(w)}  ${r.severity.padEnd(7)}  ${r.description}\n`);
  } else throw new UsageError(`unknown --format ${values.format} (expected text or json)`);
  return 0;
}

async function lspCommand(argv: string[]): Promise<number> {
  if (!argv.includes('--stdio') && !argv.some((a) => a.startsWith('--socket') || a === '--node-ipc'))
    throw new UsageError('lsp needs a transport: --stdio');
  // createConnection reads the transport from process.argv.
  const { createConnection, ProposedFeatures } = await import('vscode-languageserver/node');
  const { startServer } = await import('../../server/src/service');
  startServer(createConnection(ProposedFeatures.all));
  return new Promise<number>(() => undefined);
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // A CLI process is short: TurboFan-compiling the shell grammar would never pay for itself.
  useBaselineWasmCompiler();
  try {
    switch (cmd) {
      case 'lint':
        return await lintCommand(rest);
      case 'rules':
        return rulesCommand(rest);
      case 'build':
        return await buildCommandCli(rest);
      case 'lint-image':
        return await lintImageCommand(rest);
      case 'boot':
        return await bootCommand(rest);
      case 'vm':
        return await vmCommand(rest);
      case 'export':
        return await exportCommand(rest);
      case 'measure':
        return await measureCommand(rest);
      case 'diff':
        return await diffCommand(rest);
      case 'init':
        return initCommand(rest);
      case 'lsp':
        return await lspCommand(rest);
      case '--version':
      case '-v':
        out(`${VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`bootc-lab: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof ConfigError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bootc-lab: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

/** Runs the CLI on this process's arguments; the launcher (launcher.ts) calls this. */
export function runCli(): void {
  // `bootc-lab rules | head`: the reader went away; stop quietly as other command-line tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bootc-lab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) runCli();
