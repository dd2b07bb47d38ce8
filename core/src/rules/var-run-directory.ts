import { defineRule } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';

export default defineRule({
  meta: {
    id: 'var-run-directory',
    severity: 'error',
    category: 'filesystem',
    description: '/var/run replaced by a directory (it must stay a link to /run).',
    fixable: true,
    why: '/var/run must be a symbolic link to /run. A real directory there shadows the runtime tmpfs, breaks services that write their PID files and sockets through /var/run, and is always fatal for `bootc container lint` (`var-run`). Some packages create it as a directory; repair it with `rm -rf /var/run && ln -s ../run /var/run`.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN rm -rf /var/run && mkdir -p /var/run/myapp',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/tmpfiles.d/myapp.conf\nd /run/myapp 0755 root root -\nEOF',
  },
  check({ model, report }) {
    const infos = shippedInstructions(model);
    for (const info of infos) {
      for (const w of info.writes) {
        if (w.path !== '/var/run') continue;
        if (w.via === 'ln') {
          const target = (w.linkTarget ?? '').replace(/\/$/, '');
          if (target !== '../run' && target !== '/run')
            report({ range: w.range, message: `/var/run must link to /run (../run), not to ${w.linkTarget ?? '?'}.` });
        } else if (w.via === 'mkdir' || w.via === 'install' || w.via === 'copy' || w.via === 'add') {
          report({
            range: w.range,
            message:
              '/var/run is created as a directory here; it must stay a link to /run. Create runtime directories in /run with tmpfiles.d instead.',
          });
        }
      }
      for (const r of info.removes) {
        if (r.path !== '/var/run') continue;
        const relinked = infos.some(
          (i) =>
            i.index >= info.index &&
            i.writes.some((w) => w.path === '/var/run' && w.via === 'ln' && (i.index > info.index || w.order > r.order)),
        );
        if (relinked) continue;
        const kw = info.range.end;
        report({
          range: r.range,
          message: '/var/run is removed and not recreated as a link to /run: add `ln -s ../run /var/run`.',
          fixes: [
            {
              title: 'Recreate /var/run as a link to /run',
              edits: [{ range: { start: kw, end: kw }, newText: ' && ln -s ../run /var/run' }],
              preferred: true,
            },
          ],
        });
      }
    }
  },
});
