import type { Dockerfile, Flag, From, Heredoc, Instruction } from 'dockerfile-ast';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Range } from 'vscode-languageserver-types';
import type { BaseFamily, BaseKind } from './base-images';
import type { DocCommand, RemoveEffect, WriteEffect } from './effects';
import type { PackageEffect, UserEffect } from './packages';

/*
 * The model's shapes, apart from the code that builds them (containerfile.ts), so the per-model
 * indexes and the builder can both depend on them without depending on each other.
 */

export interface Mount {
  type: string;
  target?: string;
  flag: Flag;
}

export interface InstructionInfo {
  ins: Instruction;
  keyword: string;
  /** Position in the whole file. */
  index: number;
  stage: Stage;
  range: Range;
  /** First line only, for diagnostics about the instruction as a whole. */
  headRange: Range;
  workdir: string;
  mounts: Mount[];
  commands: DocCommand[];
  writes: WriteEffect[];
  removes: RemoveEffect[];
  packages: PackageEffect[];
  users: UserEffect[];
  /** Heredoc bodies of this instruction. */
  heredocs: Heredoc[];
}

export interface Stage {
  index: number;
  name?: string;
  from: From;
  fromInfo?: InstructionInfo;
  /** The image reference with global ARG defaults substituted. */
  image: string;
  imageRange: Range;
  baseKind: BaseKind;
  family?: BaseFamily;
  parent?: Stage;
  /** The image reference still holds a variable no ARG default resolves (`FROM ${BASE}` with `ARG BASE`). */
  unresolved: boolean;
  instructions: InstructionInfo[];
  final: boolean;
  /** Part of the final image: the final stage and the stages it is built `FROM`. */
  shipped: boolean;
}

export interface ContainerfileModel {
  uri: string;
  text: string;
  doc: TextDocument;
  ast: Dockerfile;
  stages: Stage[];
  instructions: InstructionInfo[];
  finalStage?: Stage;
  /** Global ARG defaults (before the first FROM). */
  globalArgs: Map<string, string>;
  /** The file looks like a bootc image (used when detection is `auto`). */
  bootcSignals: string[];
  /** Per-instruction analyses of this model, offered to the next model of the same document. */
  analysisCache: Map<string, CachedAnalysis>;
  previous?: Map<string, CachedAnalysis>;
}

export type CachedAnalysis = Pick<InstructionInfo, 'mounts' | 'commands' | 'writes' | 'removes' | 'packages' | 'users' | 'heredocs'>;
