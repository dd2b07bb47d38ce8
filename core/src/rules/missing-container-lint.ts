import { appendToFile } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import type { DocCommand } from '../model/effects';

export function isContainerLint(c: DocCommand): boolean {
  return c.name === 'bootc' && c.args[0]?.value === 'container' && c.args[1]?.value === 'lint';
}

const CHANGES = new Set(['RUN', 'COPY', 'ADD']);

export default defineRule({
  meta: {
    id: 'missing-container-lint',
    severity: 'warning',
    category: 'integration',
    description: 'The final stage does not end with `RUN bootc container lint`.',
    fixable: true,
    why: '`bootc container lint` checks the finished filesystem for what breaks bootc (/usr/etc, several kernels, a bad kargs.d file, /var/run as a directory, content in /boot, /run or /var). Run as the last step, it fails the build instead of a deployment. Any step after it can reintroduce problems, so it must come last.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && dnf clean all',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && dnf clean all\nRUN bootc container lint',
  },
  check({ model, report }) {
    const final = model.finalStage;
    if (!final) return;
    const changes = final.instructions.filter((i) => CHANGES.has(i.keyword));
    const lintIdx = changes.map((i, n) => (i.commands.some(isContainerLint) ? n : -1)).filter((n) => n >= 0);
    const fixes = [
      { title: 'Append RUN bootc container lint', edits: [appendToFile(model, 'RUN bootc container lint')], preferred: true },
      {
        title: 'Append RUN bootc container lint --fatal-warnings',
        edits: [appendToFile(model, 'RUN bootc container lint --fatal-warnings')],
      },
    ];
    const lastLint = lintIdx[lintIdx.length - 1];
    if (lastLint === undefined) {
      report({
        range: final.fromInfo?.headRange ?? final.instructions[0]?.headRange ?? final.imageRange,
        message:
          'The final stage never runs `bootc container lint`: add `RUN bootc container lint` as its last step so the build fails on what would break bootc.',
        fixes,
      });
      return;
    }
    const after = changes[lastLint + 1];
    if (after) {
      report({
        range: after.headRange,
        message: `${after.keyword} runs after \`bootc container lint\`, so its changes are never linted: move the lint step to the end of the final stage.`,
        fixes,
      });
    }
  },
});
