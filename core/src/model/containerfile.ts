import { Add, Arg, Copy, Env, From, Run, type Flag, type Heredoc, type Instruction } from 'dockerfile-ast';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, Range } from 'vscode-languageserver-types';
import { extractCommands } from '../shell/commands';
import { parseDockerfile } from './ast';
import { classifyImage, type BaseKind } from './base-images';
import { fileEffects, type DocWord } from './effects';
import { kernelPackages, packageEffect, userEffect } from './packages';
import { shippedList } from './indexes';
import { resolvePath } from './paths';
import { buildShellSource, type ShellSource } from './shell-source';
import { expandVars } from './vars';
import type { CachedAnalysis, ContainerfileModel, InstructionInfo, Stage } from './types';

export type { CachedAnalysis, ContainerfileModel, InstructionInfo, Mount, Stage } from './types';
export { expandVars } from './vars';

function flagsOf(ins: Instruction): Flag[] {
  const f = (ins as unknown as { getFlags?: () => Flag[] }).getFlags;
  return typeof f === 'function' ? f.call(ins) : [];
}

export function flag(ins: Instruction, name: string): Flag | undefined {
  return flagsOf(ins).find((f) => f.getName().toLowerCase() === name);
}

function heredocsOf(ins: Instruction): Heredoc[] {
  // getHeredocs() re-tokenises the instruction; most instructions have none.
  if (!ins.getTextContent().includes('<<')) return [];
  const h = (ins as unknown as { getHeredocs?: () => Heredoc[] }).getHeredocs;
  try {
    return typeof h === 'function' ? h.call(ins) : [];
  } catch {
    return [];
  }
}

function argProps(ins: Arg | Env): { name: string; value: string | null }[] {
  try {
    return ins.getProperties().map((p) => ({ name: p.getName(), value: p.getValue() }));
  } catch {
    return [];
  }
}

/** Builds the model of one Containerfile. The shell parser must be initialised. */
export function buildModel(source: string, uri = 'untitled:Containerfile', previous?: Map<string, CachedAnalysis>): ContainerfileModel {
  // LSP clients break lines at a lone CR too, dockerfile-ast does not: a lone CR becomes LF, which
  // keeps every offset and gives both the same lines, so ranges land where the editor shows them.
  const text = source.includes('\r') ? source.replace(/\r(?!\n)/g, '\n') : source;
  const doc = TextDocument.create(uri, 'dockerfile', 0, text);
  const ast = parseDockerfile(text);
  const model: ContainerfileModel = {
    uri,
    text,
    doc,
    ast,
    stages: [],
    instructions: [],
    globalArgs: new Map(),
    bootcSignals: [],
    analysisCache: new Map(),
    previous,
  };
  const all = ast.getInstructions();
  let stage: Stage | undefined;
  const byName = new Map<string, Stage>();
  let workdir = '/';
  // Variables in scope for the current stage's instructions: ARGs re-declared in it and ENVs.
  let vars = new Map<string, string>();
  all.forEach((ins, index) => {
    const keyword = ins.getKeyword();
    if (keyword === 'ARG' && !stage) {
      // Each default sees the ARGs before it (`ARG B="${B:-x}"` refers to a B set by --build-arg, else x).
      // An ARG without a default stays unset: only --build-arg can give it a value.
      for (const p of argProps(ins as Arg)) if (p.value !== null) model.globalArgs.set(p.name, expandVars(p.value, model.globalArgs));
    }
    if (stage && (keyword === 'ARG' || keyword === 'ENV')) {
      for (const p of argProps(ins as Arg)) {
        if (p.value !== null) vars.set(p.name, expandVars(p.value, vars));
        else if (keyword === 'ARG' && model.globalArgs.has(p.name)) vars.set(p.name, model.globalArgs.get(p.name) ?? '');
      }
    }
    if (keyword === 'FROM' && ins instanceof From) {
      const raw = ins.getImage() ?? ins.getArguments()[0]?.getValue() ?? '';
      const image = expandVars(raw, model.globalArgs);
      vars = new Map();
      const name = ins.getBuildStage() ?? undefined;
      const parent = byName.get(image.toLowerCase()) ?? (/^\d+$/.test(image) ? model.stages[Number(image)] : undefined);
      const family = parent ? undefined : classifyImage(image);
      const baseKind: BaseKind = parent ? 'stage' : image.toLowerCase() === 'scratch' ? 'scratch' : family ? family.kind : 'unknown';
      const imageRange = ins.getImageRange() ?? ins.getRange();
      stage = {
        index: model.stages.length,
        name,
        from: ins,
        image,
        imageRange,
        baseKind,
        family,
        parent,
        unresolved: image.includes('$'),
        instructions: [],
        final: false,
        shipped: false,
      };
      model.stages.push(stage);
      if (name) byName.set(name.toLowerCase(), stage);
      workdir = parent ? lastWorkdir(parent) : '/';
    }
    if (!stage) return;
    if (keyword === 'WORKDIR') {
      const args = ins.getArguments();
      const p = expandVars(args.map((a) => a.getValue()).join(' '), vars);
      if (p) workdir = resolvePath(p, workdir);
    }
    const info = analyse(model, ins, keyword, index, stage, workdir, vars);
    if (keyword === 'FROM') stage.fromInfo = info;
    stage.instructions.push(info);
    model.instructions.push(info);
  });
  const last = model.stages[model.stages.length - 1];
  if (last) {
    last.final = true;
    model.finalStage = last;
    for (let s: Stage | undefined = last; s; s = s.parent) s.shipped = true;
  }
  model.bootcSignals = detectBootc(model);
  model.previous = undefined;
  return model;
}

function lastWorkdir(s: Stage): string {
  const last = s.instructions[s.instructions.length - 1];
  return last ? last.workdir : '/';
}

/**
 * Offsets → positions inside one instruction. Every word of a RUN lies within its instruction,
 * so a small local line table beats a document-wide search per word on large files.
 */
class LocalPositions {
  private readonly newlines: number[] = [];
  constructor(
    text: string,
    private readonly base: number,
    private readonly end: number,
    private readonly startLine: number,
    private readonly startChar: number,
  ) {
    for (let i = text.indexOf('\n', base); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) this.newlines.push(i);
  }
  at(offset: number): Position {
    const o = Math.max(this.base, Math.min(offset, this.end));
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.newlines[mid] ?? 0) < o) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return { line: this.startLine, character: this.startChar + (o - this.base) };
    return { line: this.startLine + lo, character: o - (this.newlines[lo - 1] ?? 0) - 1 };
  }
}

function analyse(
  model: ContainerfileModel,
  ins: Instruction,
  keyword: string,
  index: number,
  stage: Stage,
  workdir: string,
  vars: ReadonlyMap<string, string>,
): InstructionInfo {
  const range = ins.getRange();
  const headEnd = model.doc.offsetAt({ line: range.start.line, character: Number.MAX_SAFE_INTEGER });
  const headRange = { start: range.start, end: model.doc.positionAt(Math.min(headEnd, model.doc.offsetAt(range.end))) };
  const info: InstructionInfo = {
    ins,
    keyword,
    index,
    stage,
    range,
    headRange,
    workdir,
    mounts: [],
    commands: [],
    writes: [],
    removes: [],
    packages: [],
    users: [],
    heredocs: heredocsOf(ins),
  };
  if (ins instanceof Run || ins instanceof Copy || ins instanceof Add) {
    // Reuse the previous analysis of an identical instruction at the same place: after a one-line
    // edit only the edited instruction is analysed again.
    const text = ins.getTextContent();
    const scope = text.includes('$') ? referencedValues(text, vars) : '';
    const key = `${range.start.line}:${range.start.character}|${workdir}|${scope}|${text}`;
    const hit = model.previous?.get(key);
    if (hit) {
      Object.assign(info, hit);
    } else {
      if (ins instanceof Run) analyseRun(model, info, vars);
      else analyseCopy(model, info, vars);
    }
    model.analysisCache.set(key, {
      mounts: info.mounts,
      commands: info.commands,
      writes: info.writes,
      removes: info.removes,
      packages: info.packages,
      users: info.users,
      heredocs: info.heredocs,
    });
  } else if (keyword === 'WORKDIR') {
    const a = ins.getArguments()[0];
    if (a) info.writes.push({ kind: 'write', path: workdir, range: a.getRange(), via: 'workdir', order: 0 });
  }
  return info;
}

/**
 * The values an instruction's analysis can depend on: those of the variables its text names. Joining
 * every variable in scope instead made a file with hundreds of ENV/ARG lines quadratic (each RUN with
 * a `$` joined them all: ~95 ms of a 10,000-line CLI lint).
 */
function referencedValues(text: string, vars: ReadonlyMap<string, string>): string {
  let key = '';
  for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1] ?? '';
    const value = vars.get(name);
    key += value === undefined ? `${name}\0` : `${name}=${value}\0`;
  }
  return key;
}

function analyseRun(model: ContainerfileModel, info: InstructionInfo, vars: ReadonlyMap<string, string>): void {
  const run = info.ins as Run;
  for (const f of flagsOf(run)) {
    if (f.getName().toLowerCase() !== 'mount') continue;
    const opt = (n: string): string | undefined => f.getOption(n)?.getValue() ?? undefined;
    const type = (opt('type') ?? 'bind').toLowerCase();
    const rawTarget = opt('target') ?? opt('dst') ?? opt('destination');
    const target = rawTarget === undefined ? undefined : expandVars(rawTarget, vars);
    info.mounts.push({ type, target: target ? resolvePath(target, info.workdir) : undefined, flag: f });
  }
  let sources: ShellSource[];
  try {
    sources = buildShellSource(model.doc, run, info.heredocs);
  } catch {
    return;
  }
  const r = run.getRange();
  const pos = new LocalPositions(model.text, model.doc.offsetAt(r.start), model.doc.offsetAt(r.end), r.start.line, r.start.character);
  for (const src of sources) {
    const cmds = extractCommands(src.text);
    const base = info.commands.length;
    for (const c of cmds) {
      const map = (s: number, e: number): Range => ({ start: pos.at(src.toDoc(s)), end: pos.at(src.toDoc(e)) });
      const w = (x: { value: string; start: number; end: number; dynamic: boolean }): DocWord => ({
        value: x.value,
        dynamic: x.dynamic,
        range: map(x.start, x.end),
      });
      info.commands.push({
        name: c.name,
        nameWord: w(c.nameWord),
        args: c.args.map(w),
        range: map(c.start, c.end),
        order: base + c.order,
        swallowed: c.swallowed,
        piped: c.piped,
        scope: c.scope,
        guard: c.guard,
        redirects: c.redirects.map((r) => ({ op: r.op, target: r.target ? w(r.target) : undefined })),
        heredocs: c.heredocs.map((h) => ({ text: h.text, range: map(h.start, h.end), target: h.target ? w(h.target) : undefined })),
      });
    }
  }
  const cwds = new Map<string, string>();
  for (const c of info.commands) {
    const cwd = cwdOf(cwds, c.scope, info.workdir);
    if (c.name === 'cd' || c.name === 'pushd') {
      const dir = c.args.find((a) => !a.value.startsWith('-'));
      // `cd` alone goes to $HOME, root's in a build; `cd $(…)` stays unknown, a pattern like the rest.
      cwds.set(c.scope, dir ? resolvePath(dir.value, cwd) : '/root');
    }
    for (const e of fileEffects(c, cwd)) {
      if (e.kind === 'write') info.writes.push(e);
      else info.removes.push(e);
    }
    const p = packageEffect(c);
    if (p) info.packages.push(p);
    // `echo 'svc:x:990:990::/:/sbin/nologin' >> /etc/passwd` creates accounts too.
    for (const w of info.writes) {
      if (w.order !== c.order || (w.path !== '/etc/passwd' && w.path !== '/etc/group') || !w.content) continue;
      for (const line of w.content.split('\n')) {
        const name = /^([a-z_][\w.-]*\$?):/i.exec(line)?.[1];
        if (name)
          info.users.push({ kind: 'user', what: w.path === '/etc/passwd' ? 'user' : 'group', name, range: w.range, order: c.order });
      }
    }
    const u = userEffect(c);
    if (u) {
      info.users.push(u);
      if (u.home) info.writes.push({ kind: 'write', path: resolvePath(u.home), range: u.range, via: 'useradd', order: c.order });
    }
  }
}

/** The directory a command runs in: the last `cd` of its scope or of the nearest enclosing one. */
function cwdOf(cwds: Map<string, string>, scope: string, workdir: string): string {
  for (let s = scope; ; s = s.slice(0, s.lastIndexOf('/'))) {
    const d = cwds.get(s);
    if (d !== undefined) return d;
    if (s === '') return workdir;
  }
}

/**
 * The words of the JSON form (`COPY ["a b", "/dest/"]`, for paths with spaces), unquoted, with the
 * ranges of their text; undefined for the plain form. Whitespace-split arguments would cut a path
 * with a space in two and keep the quotes and brackets (`/"]` as a destination).
 */
function jsonArguments(doc: TextDocument, ins: Copy | Add): { getValue: () => string; getRange: () => Range }[] | undefined {
  if (!ins.getClosingBracket()) return undefined;
  return ins.getJSONStrings().map((j) => {
    // The text between the quotes, read from the document: dockerfile-ast's value drops spaces.
    const range = j.getJSONRange();
    const raw = doc.getText(range);
    let value = raw;
    try {
      value = JSON.parse(`"${raw}"`) as string;
    } catch {
      // An escape JSON does not know: keep the text as written.
    }
    return { getValue: () => value, getRange: () => range };
  });
}

function analyseCopy(model: ContainerfileModel, info: InstructionInfo, vars: ReadonlyMap<string, string>): void {
  const ins = info.ins as Copy | Add;
  const heredocs = info.heredocs;
  // dockerfile-ast tokenises heredoc bodies as arguments: keep only those on the instruction's own lines.
  const firstBody = heredocs.map((h) => h.getContentRange()).find((r) => r !== null);
  const args =
    jsonArguments(model.doc, ins) ??
    ins.getArguments().filter((a) => !firstBody || model.doc.offsetAt(a.getRange().start) < model.doc.offsetAt(firstBody.start));
  const dest = args[args.length - 1];
  if (!dest || args.length < 2) return;
  const rawFrom = flag(ins, 'from')?.getValue() ?? undefined;
  const fromStage = rawFrom === undefined ? undefined : expandVars(rawFrom, vars);
  const srcArgs = args.slice(0, -1);
  const destValue = expandVars(dest.getValue(), vars);
  const destPath = resolvePath(destValue, info.workdir);
  const intoDirectory = destValue.endsWith('/') || srcArgs.length > 1;
  const via = ins instanceof Add ? 'add' : 'copy';
  const docHeredocs = new Map(heredocs.map((h) => [h.getName(), h]));
  const plain: DocWord[] = [];
  for (const a of srcArgs) {
    const m = /^<<-?["']?([^"'\s]+)["']?$/.exec(a.getValue());
    const h = m ? docHeredocs.get(m[1] ?? '') : undefined;
    if (h) {
      const cr = h.getContentRange();
      // The body's range stops before its last newline; the file the builder writes ends with it.
      const content = cr ? `${model.doc.getText(cr)}\n` : '';
      const path = intoDirectory ? resolvePath(h.getName(), destPath) : destPath;
      info.writes.push({ kind: 'write', path, range: dest.getRange(), via, order: 0, content, contentRange: cr ?? undefined });
    } else {
      plain.push({ value: a.getValue(), range: a.getRange(), dynamic: a.getValue().includes('$') });
    }
  }
  if (plain.length > 0) {
    info.writes.push({ kind: 'write', path: destPath, range: dest.getRange(), via, order: 0, sources: plain, intoDirectory, fromStage });
  }
}

function detectBootc(model: ContainerfileModel): string[] {
  const signals: string[] = [];
  const final = model.finalStage;
  for (let s = final; s; s = s.parent) if (s.baseKind === 'bootc') signals.push(`FROM ${s.image}`);
  for (const i of model.instructions) {
    if (i.keyword === 'LABEL' && /\b(containers\.bootc|ostree\.bootable)\b/.test(i.ins.getTextContent()))
      signals.push('LABEL containers.bootc');
    if (
      i.commands.some(
        (c) =>
          c.name === 'bootc' ||
          c.name === 'bootc-base-imagectl' ||
          c.name === 'rpm-ostree' ||
          (c.name === 'ostree' && c.args[0]?.value === 'container'),
      )
    )
      signals.push('runs bootc');
    if (i.writes.some((w) => /^\/usr\/lib\/(bootc|ostree|modules)(\/|$)/.test(w.path))) signals.push('writes bootc paths');
    if (i.packages.some((p) => (p.op === 'install' || p.op === 'upgrade-all') && kernelPackages(p).length > 0))
      signals.push('installs a kernel');
    if (i.commands.some((c) => c.name === 'dracut')) signals.push('runs dracut');
  }
  if (model.ast.getComments().some((c) => /bootc-lint\b/.test(c.getContent()))) signals.push('bootc-lint comment');
  return [...new Set(signals)];
}

/** Stages of the final image, base first. */
export function shippedStages(model: ContainerfileModel): Stage[] {
  return model.stages.filter((s) => s.shipped);
}

/** Instructions that end up in the final image, in build order. */
export function shippedInstructions(model: ContainerfileModel): InstructionInfo[] {
  return shippedList(model);
}

/** The external base of the final image (following `FROM <stage>` links). */
export function rootStage(model: ContainerfileModel): Stage | undefined {
  let s = model.finalStage;
  while (s?.parent) s = s.parent;
  return s;
}

export { Run, Copy, Add, From, Arg, Env };
