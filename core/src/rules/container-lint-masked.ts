import { defineRule } from '../lint/rule';
import { isUnder } from '../model/paths';
import { isContainerLint } from './missing-container-lint';

const MASKING = ['/run', '/tmp', '/var', '/var/log', '/boot'];

export default defineRule({
  meta: {
    id: 'container-lint-masked',
    severity: 'warning',
    category: 'integration',
    description: 'The lint step has tmpfs mounts on /run or /tmp, or its failure is swallowed (`|| true`, `; true`).',
    fixable: true,
    why: '`bootc container lint` skips mount points: a tmpfs or cache mount on /run, /tmp, /var/log or /boot in the lint RUN hides exactly the leftovers it should find. bootc\'s own Containerfile keeps those mounts off the lint step ("we want to detect leaked files"). And a lint whose exit status is ignored (`|| true`, `; true`) lets broken images ship.',
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
        if (c.swallowed)
          report({
            range: c.range,
            message:
              'The exit status of bootc container lint is ignored here, so the build passes even when the lint fails: let it fail the RUN.',
          });
      }
    }
  },
});
