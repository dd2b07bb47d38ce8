import * as posix from 'node:path/posix';
import { nonBootcRoot, runsHiddenScript } from '../lint/kernel';
import { defineRule, type BuildContext } from '../lint/rule';
import { classifyImage } from '../model/base-images';
import { rootStage, shippedInstructions, type ContainerfileModel, type InstructionInfo, type Stage } from '../model/containerfile';
import type { DocCommand, WriteEffect } from '../model/effects';

/** `bootc`, `bootc=1.6.0`, `bootc:amd64`, or a local `bootc_1.6.0_amd64.deb` / `bootc-1.6.0-1.x86_64.rpm`. */
const BOOTC_PACKAGE = /^bootc([=:].*|[_-]\d[^/]*\.(deb|rpm))?$/;

function installsBootcPackage(info: InstructionInfo): boolean {
  return info.packages.some(
    (p) =>
      (p.op === 'install' || p.op === 'upgrade' || p.op === 'upgrade-all') &&
      p.packages.some((w) => BOOTC_PACKAGE.test(posix.basename(w.value))),
  );
}

/** `make … install…` (bootc's own `make install` / `install-all`), or `cargo install` of bootc. */
function buildsAndInstalls(c: DocCommand): boolean {
  if (c.name === 'make') return c.args.some((a) => /^install/.test(a.value));
  if (c.name === 'cargo' && c.args[0]?.value === 'install') return c.args.some((a) => /bootc/.test(a.value));
  return false;
}

function builds(c: DocCommand): boolean {
  return c.name === 'make' || (c.name === 'cargo' && ['build', 'install'].includes(c.args[0]?.value ?? ''));
}

function stageByRef(model: ContainerfileModel, ref: string): Stage | undefined {
  return (
    model.stages.find((s) => s.name?.toLowerCase() === ref.toLowerCase()) ?? (/^\d+$/.test(ref) ? model.stages[Number(ref)] : undefined)
  );
}

/** The stage, or one it is built FROM, builds something or installs the bootc package. */
function stageProvides(stage: Stage): boolean {
  for (let s: Stage | undefined = stage; s; s = s.parent) {
    if (s.baseKind === 'bootc') return true;
    if (s.instructions.some((i) => installsBootcPackage(i) || i.commands.some(builds))) return true;
  }
  return false;
}

const BIN_BOOTC = /\/(s?bin)\/bootc$/;

/** A COPY/ADD (or any write) that puts a bootc binary in the image. */
function writeProvides(model: ContainerfileModel, w: WriteEffect, ctx: BuildContext): boolean {
  if (BIN_BOOTC.test(w.path)) return true;
  if (w.via !== 'copy' && w.via !== 'add') return false;
  const sources = w.sources ?? [];
  if (w.fromStage) {
    if (sources.some((s) => /bootc/.test(s.value))) return true;
    const stage = stageByRef(model, w.fromStage);
    if (stage) return stageProvides(stage);
    return classifyImage(w.fromStage)?.kind === 'bootc';
  }
  // A tree from the build context (`COPY rootfs/ /`) that holds the binary.
  const inside = w.path === '/' ? ['usr/bin/bootc', 'usr/sbin/bootc', 'bin/bootc'] : w.path === '/usr' ? ['bin/bootc', 'sbin/bootc'] : [];
  return sources.some((s) => {
    if (s.dynamic) return false;
    if (inside.some((f) => ctx.read(posix.join(s.value, f)) !== undefined)) return true;
    return posix.basename(s.value) === 'bootc' && /\/s?bin$/.test(w.path);
  });
}

export default defineRule({
  meta: {
    id: 'bootc-binary-missing',
    severity: 'error',
    category: 'integration',
    description: 'A custom base runs `bootc` but never installs it (package, `make install`, or COPY from a stage that built it).',
    fixable: false,
    why: 'Plain distribution images (debian, ubuntu, fedora, arch) have no bootc, and Debian and Ubuntu do not package it. A Containerfile that starts from one and runs `bootc container lint` fails at that step with `bootc: not found`; and an image without bootc cannot install itself (`bootc install`) or upgrade (`bootc upgrade`, `bootc switch`). Install the package where the distribution has one, or build bootc from a pinned release in a builder stage (`make install DESTDIR=/out`) and `COPY --from` its files.',
    bad: 'FROM docker.io/library/debian:trixie\nLABEL containers.bootc=1\nRUN apt-get update && apt-get install -y linux-image-amd64 dracut\nRUN bootc container lint',
    good: 'FROM docker.io/library/debian:trixie AS bootc-builder\nRUN apt-get update && apt-get install -y cargo make pkg-config libostree-dev curl && \\\n    mkdir -p /src && curl -fsSL https://github.com/bootc-dev/bootc/archive/refs/tags/v1.6.0.tar.gz | tar -xz -C /src && \\\n    make -C /src/bootc-1.6.0 && make -C /src/bootc-1.6.0 install DESTDIR=/out\n\nFROM docker.io/library/debian:trixie\nLABEL containers.bootc=1\nCOPY --from=bootc-builder /out/ /\nRUN bootc container lint',
  },
  check({ model, report, buildContext }) {
    if (!nonBootcRoot(model)) return;
    const shipped = shippedInstructions(model);
    const first = shipped.flatMap((i) => i.commands).find((c) => c.name === 'bootc');
    if (!first) return;
    const provided = shipped.some(
      (i) => installsBootcPackage(i) || i.commands.some(buildsAndInstalls) || i.writes.some((w) => writeProvides(model, w, buildContext)),
    );
    // A script this file does not show (`/ctx/build.sh`) may install it: no error we cannot back up.
    if (provided || runsHiddenScript(model)) return;
    const root = rootStage(model);
    report({
      range: first.nameWord.range,
      message: `\`bootc\` runs here, but ${root?.image ?? 'the base'} has no bootc and nothing in this Containerfile installs it (a package, \`make install\`, or COPY --from a stage that built it): the step fails with "bootc: not found". Build bootc in a builder stage and COPY its files in, or install a package that provides it.`,
    });
  },
});
