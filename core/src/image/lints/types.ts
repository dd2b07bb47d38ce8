/**
 * A port of `bootc container lint` (bootc v1.16.9, crates/lib/src/lints.rs) that runs on a root
 * filesystem directory, so images without bootc (a custom base in progress) are checked too.
 * Names, types, root-type gating and messages follow bootc; each lint lives in its own file.
 */
export type LintType = 'fatal' | 'warning';
export type RootType = 'running' | 'alternative';

export interface ImageLintMeta {
  name: string;
  type: LintType;
  /** Only in this mode (bootc: Running = `--rootfs /`, Alternative = another root). */
  rootType?: RootType;
  description: string;
  /** How to fix it in a Containerfile. */
  hint?: string;
  /** bootc Lab's own check (a typing-time rule's image side), not part of `bootc container lint`. */
  own?: boolean;
  /** Its paths describe one problem of the whole image: lint-image reports it once, on the newest of them. */
  oneProblem?: boolean;
}

export interface ImageLintResult {
  lint: string;
  type: LintType;
  /** First line as bootc prints it after `NAME: `. */
  message: string;
  /** Listed items, as bootc prints them (paths, tmpfiles lines, user names). */
  items: string[];
  /** Further sections (`Found non-directory/non-symlink files in /var:`). */
  sections?: { header: string; items: string[] }[];
  /** Absolute paths in the image this finding is about, for attribution. */
  paths: string[];
  /** User and group names (sysusers), attributed through /etc/passwd and /etc/group. */
  users?: { kind: 'user' | 'group'; name: string }[];
  /** bootc reports this one as "Unexpected runtime error" rather than `Failed lint:`. */
  runtimeError?: boolean;
}

export type CheckResult = Omit<ImageLintResult, 'lint' | 'type'>;

/** One ported lint: its bootc metadata and the check that runs it on a root filesystem. */
export interface ImageLint {
  meta: ImageLintMeta;
  check: (root: string) => CheckResult | undefined;
}

export function defineImageLint(lint: ImageLint): ImageLint {
  return lint;
}

export interface ImageCheckContext {
  signal?: AbortSignal;
  /** Something the check could not look at (a missing decompressor), said to the user once. */
  note: (message: string) => void;
}

/** One of bootc Lab's own image checks: may read files at length (an initramfs), so it may be async. */
export interface OwnImageLint {
  meta: ImageLintMeta;
  check: (root: string, ctx: ImageCheckContext) => CheckResult | undefined | Promise<CheckResult | undefined>;
}

export function defineOwnImageLint(lint: OwnImageLint): OwnImageLint {
  return lint;
}
