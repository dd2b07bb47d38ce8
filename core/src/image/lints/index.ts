import apiBaseDirectories from './api-base-directories';
import baseimageComposefs from './baseimage-composefs';
import baseimageRoot from './baseimage-root';
import bootcKargs from './bootc-kargs';
import buildahInjected from './buildah-injected';
import dpkgDatabaseInVar from './dpkg-database-in-var';
import etcUsretc from './etc-usretc';
import initramfsBootcModule from './initramfs-bootc-module';
import kernel from './kernel';
import nonemptyBoot from './nonempty-boot';
import nonemptyRunTmp from './nonempty-run-tmp';
import sysusers from './sysusers';
import type { ImageCheckContext, ImageLint, ImageLintMeta, ImageLintResult, OwnImageLint, RootType } from './types';
import utf8 from './utf8';
import varLinkTmpfiles from './var-link-tmpfiles';
import varLog from './var-log';
import varRun from './var-run';
import varTmpfiles from './var-tmpfiles';

export type { ImageCheckContext, ImageLint, ImageLintMeta, ImageLintResult, LintType, OwnImageLint, RootType } from './types';
export { quotePath } from './rootfs';
export { parseKeyFile } from './baseimage-composefs';
export { walkUtf8 } from './utf8';

/** bootc's lints sorted by name, the order bootc runs them (its output puts the recursive utf8 last). */
export const PORTED_LINTS: readonly ImageLint[] = [
  apiBaseDirectories,
  baseimageComposefs,
  baseimageRoot,
  bootcKargs,
  buildahInjected,
  etcUsretc,
  kernel,
  nonemptyBoot,
  nonemptyRunTmp,
  sysusers,
  utf8,
  varLog,
  varRun,
  varTmpfiles,
];

export const IMAGE_LINTS: ImageLintMeta[] = PORTED_LINTS.map((l) => l.meta);

/** bootc Lab's own image checks: the image side of typing-time rules, named like them. */
export const OWN_IMAGE_LINTS: readonly OwnImageLint[] = [dpkgDatabaseInVar, initramfsBootcModule, varLinkTmpfiles];

/** Every lint lint-image can report, ported and own. */
export const ALL_IMAGE_LINTS: ImageLintMeta[] = [...IMAGE_LINTS, ...OWN_IMAGE_LINTS.map((l) => l.meta)];

/** Runs bootc Lab's own checks on a root filesystem (after the port, which stays what bootc would say). */
export async function lintRootfsOwn(root: string, ctx: ImageCheckContext): Promise<ImageLintResult[]> {
  const results: ImageLintResult[] = [];
  for (const { meta, check } of OWN_IMAGE_LINTS) {
    const r = await check(root, ctx);
    if (r) results.push({ lint: meta.name, type: meta.type, ...r });
  }
  return results;
}

export interface PortOptions {
  /** Lints of these modes run; bootc's in-build `RUN bootc container lint` is `running`. */
  modes?: RootType[];
  skip?: string[];
}

/**
 * Runs the ported lints on a root filesystem. The default reports what `RUN bootc container lint`
 * at the end of a build reports (Running: var-tmpfiles runs) and also buildah-injected, because
 * the image file is what ships.
 */
export function lintRootfs(root: string, opts: PortOptions = {}): { results: ImageLintResult[]; passed: number; skipped: number } {
  const modes = opts.modes ?? ['running', 'alternative'];
  const skip = new Set(opts.skip ?? []);
  const results: ImageLintResult[] = [];
  let passed = 0;
  let skipped = 0;
  for (const { meta, check } of PORTED_LINTS) {
    if (skip.has(meta.name) || (meta.rootType && !modes.includes(meta.rootType))) {
      skipped++;
      continue;
    }
    const r = check(root);
    if (r) results.push({ lint: meta.name, type: meta.type, ...r });
    else passed++;
  }
  return { results, passed, skipped };
}

/**
 * Prints results the way bootc does: the regular lints by name, then the recursive one (utf8); the
 * first runtime error ends the run without a summary (bootc bails there, so later lints go unreported).
 */
export function formatLikeBootc(results: ImageLintResult[], passed: number, skipped: number): string {
  const out: string[] = [];
  const ordered = [...results.filter((r) => r.lint !== 'utf8'), ...results.filter((r) => r.lint === 'utf8')];
  for (const r of ordered) {
    if (r.runtimeError) {
      out.push(`error: Linting: Unexpected runtime error running lint ${r.lint}: ${r.message}`);
      return out.join('\n') + '\n';
    }
    const prefix = r.type === 'fatal' ? 'Failed lint' : 'Lint warning';
    out.push(`${prefix}: ${r.lint}: ${r.message}`);
    for (const i of r.items) out.push(`  ${i}`);
    for (const s of r.sections ?? []) {
      out.push(`${s.header}`);
      for (const i of s.items) out.push(`  ${i}`);
    }
    if (r.items.length || r.sections?.length) out.push('');
  }
  out.push(`Checks passed: ${passed}`);
  if (skipped) out.push(`Checks skipped: ${skipped}`);
  const warnings = results.filter((r) => r.type === 'warning').length;
  if (warnings) out.push(`Warnings: ${warnings}`);
  return out.join('\n') + '\n';
}
