import { lasting, shippedWrites } from '../lint/helpers';
import { defineRule, type Fix } from '../lint/rule';
import { isUnder } from '../model/paths';

export default defineRule({
  meta: {
    id: 'runtime-tmpfs-content',
    severity: 'warning',
    category: 'filesystem',
    description: 'Content left under /run or /tmp, which are tmpfs on the booted system and mask it.',
    fixable: true,
    why: '/run and /tmp are mounted as tmpfs when the system boots, hiding whatever the image put there. Files left there are dead weight, can leak build secrets and mount stubs, and `bootc container lint` reports them (`nonempty-run-tmp`). Use `RUN --mount=type=tmpfs,target=/tmp` for scratch space, or remove the files in the same RUN.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN curl -o /tmp/pkg.rpm https://example.com/pkg.rpm && dnf -y install /tmp/pkg.rpm',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN --mount=type=tmpfs,target=/tmp curl -o /tmp/pkg.rpm https://example.com/pkg.rpm && dnf -y install /tmp/pkg.rpm',
  },
  check({ model, report }) {
    const seen = new Set<string>();
    for (const pw of shippedWrites(model)) {
      const p = pw.write.path.replace(/^\/var\/run(?=\/|$)/, '/run');
      const dir = isUnder(p, '/run') ? '/run' : isUnder(p, '/tmp') ? '/tmp' : undefined;
      const into = pw.write.intoDirectory === true && (pw.write.sources?.length ?? 0) > 0;
      if (!dir || (p === dir && !into) || !lasting(model, { ...pw, write: { ...pw.write, path: p } })) continue;
      // `git clone URL /tmp/src && make -C /tmp/src`: one place, one finding.
      const key = `${pw.info.index}|${p}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const fixes: Fix[] = [];
      if (pw.info.keyword === 'RUN') {
        const kw = pw.info.ins.getInstructionRange();
        fixes.push({
          title: `Mount a tmpfs on ${dir} for this RUN`,
          edits: [{ range: { start: kw.end, end: kw.end }, newText: ` --mount=type=tmpfs,target=${dir}` }],
          preferred: true,
        });
      }
      report({
        range: pw.write.range,
        message: `${p === dir ? `What this puts into ${dir}` : pw.write.path} stays in the image, but ${dir} is a tmpfs on the booted system that hides it. Use RUN --mount=type=tmpfs,target=${dir} or remove it in the same RUN.`,
        fixes,
      });
    }
  },
});
