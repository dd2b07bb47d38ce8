import type { Arg } from 'dockerfile-ast';
import { defineRule } from '../lint/rule';
import type { ContainerfileModel, InstructionInfo } from '../model/containerfile';
import { isUnder } from '../model/paths';
import { isContainerLint } from './missing-container-lint';

/** Build ARGs visible in the instruction's stage (global ones too). */
function buildArgs(model: ContainerfileModel, info: InstructionInfo): Set<string> {
  const names = new Set(model.globalArgs.keys());
  for (const i of info.stage.instructions) {
    if (i.keyword !== 'ARG') continue;
    try {
      for (const p of (i.ins as Arg).getProperties()) names.add(p.getName());
    } catch {
      // An ARG without a name declares nothing.
    }
  }
  return names;
}

const PRINTS = new Set(['echo', 'printf']);

const MASKING = ['/run', '/tmp', '/var', '/var/log', '/boot'];

export default defineRule({
  meta: {
    id: 'container-lint-masked',
    severity: 'warning',
    category: 'integration',
    description:
      'The lint step has tmpfs mounts on /run or /tmp, its failure is swallowed (`|| true`, `; true`), or it is skipped on a condition other than an announced build ARG.',
    fixable: true,
    why: '`bootc container lint` skips mount points: a tmpfs or cache mount on /run, /tmp, /var/log or /boot in the lint RUN hides exactly the leftovers it should find. bootc\'s own Containerfile keeps those mounts off the lint step ("we want to detect leaked files"). And a lint whose exit status is ignored (`|| true`, `; true`) lets broken images ship; so does one that runs only when something holds (`if command -v bootc`, `[ -x /usr/bin/bootc ] || …`), since the image that lacks bootc is exactly the one that skips it. A build variant without bootc may skip the step openly: test a build ARG and print that the lint was skipped (`if [ "$BOOTC" = none ]; then echo "lint skipped: BOOTC=none"; else bootc container lint; fi`).',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN --mount=type=tmpfs,target=/tmp bootc container lint || true',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN bootc container lint',
  },
  check({ model, report }) {
    for (const info of model.instructions) {
      const lints = info.commands.filter(isContainerLint);
      if (lints.length === 0) continue;
      for (const m of info.mounts) {
        // A mount on one of these or on a parent of one hides what the lint should see.
        if (!m.target || !MASKING.some((d) => isUnder(d, m.target ?? ''))) continue;
        const r = m.flag.getRange();
        const end = { line: r.end.line, character: r.end.character + 1 };
        report({
          range: r,
          message: `This ${m.type} mount on ${m.target} hides leftovers from bootc container lint (it skips mount points): remove it from the lint step.`,
          fixes: [
            { title: 'Remove this mount from the lint step', edits: [{ range: { start: r.start, end }, newText: '' }], preferred: true },
          ],
        });
      }
      for (const c of lints) {
        if (c.swallowed) {
          report({
            range: c.range,
            message:
              'The exit status of bootc container lint is ignored here, so the build passes even when the lint fails: let it fail the RUN.',
          });
          continue;
        }
        if (c.guard === undefined) continue;
        const args = buildArgs(model, info);
        const onArg = [...c.guard.matchAll(/\$\{?(\w+)/g)].some((m) => args.has(m[1] ?? ''));
        if (!onArg)
          report({
            range: c.range,
            message: `bootc container lint runs only when \`${c.guard}\` holds, so an image where it does not is never linted and still builds: run the lint unconditionally, or skip it openly on a build ARG and print that it was skipped.`,
          });
        else if (!info.commands.some((o) => PRINTS.has(o.name) && o.guard !== undefined && o.order !== c.order))
          report({
            range: c.range,
            message: `bootc container lint is skipped without a word when \`${c.guard}\` does not hold: print that it was skipped (echo "bootc container lint skipped: …") in the other branch.`,
          });
      }
    }
  },
});
