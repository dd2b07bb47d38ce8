import { defineRule } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';

const API_DIRS = ['/var', '/tmp', '/run', '/proc', '/sys', '/dev'];

export default defineRule({
  meta: {
    id: 'api-directory-removed',
    severity: 'error',
    category: 'filesystem',
    description: '/var, /tmp, /run, /proc, /sys or /dev removed or replaced by a link.',
    fixable: true,
    why: 'The kernel and systemd mount API filesystems on /proc, /sys, /dev, /run and /tmp at boot, and bootc requires /var as a real directory to mount machine state on. If one is missing or is a symlink, the system does not boot or install; `bootc container lint` fails with `api-base-directories`. Empty them (`rm -rf /tmp/*`) instead of removing them.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN rm -rf /tmp && ln -s /var/tmp /tmp',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN rm -rf /tmp/* /var/tmp/*',
  },
  check({ model, report }) {
    const infos = shippedInstructions(model);
    for (const info of infos) {
      for (const r of info.removes) {
        if (!API_DIRS.includes(r.path)) continue;
        const later = infos.flatMap((i) => i.writes.filter((w) => w.path === r.path && (i.index > info.index || w.order > r.order)));
        const first = later[0];
        if (first && first.via !== 'ln') continue;
        if (first?.via === 'ln') {
          report({
            range: first.range,
            message: `${r.path} is replaced by a symbolic link; it must be a real directory (an API filesystem is mounted there at boot).`,
          });
          continue;
        }
        const end = info.range.end;
        report({
          range: r.range,
          message: `${r.path} is removed and not recreated: it must exist as a directory. Remove its contents (${r.path}/*) instead.`,
          fixes: [
            { title: `Remove only the contents of ${r.path}`, edits: [{ range: r.range, newText: `${r.path}/*` }], preferred: true },
            { title: `Recreate ${r.path} afterwards`, edits: [{ range: { start: end, end }, newText: ` && mkdir -p ${r.path}` }] },
          ],
        });
      }
    }
  },
});
