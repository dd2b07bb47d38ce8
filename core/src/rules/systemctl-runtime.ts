import { defineRule, type Fix } from '../lint/rule';
import { positionals } from '../model/effects';
import { commandsNamed } from '../model/indexes';

const RUNTIME = new Set([
  'start',
  'stop',
  'restart',
  'reload',
  'daemon-reload',
  'daemon-reexec',
  'is-active',
  'try-restart',
  'reload-or-restart',
  'try-reload-or-restart',
  'isolate',
  'kill',
  'status',
]);

export default defineRule({
  meta: {
    id: 'systemctl-runtime',
    severity: 'warning',
    category: 'files',
    description: '`systemctl start|stop|restart|reload|daemon-reload|is-active` in RUN (no systemd during build); `enable` is fine.',
    fixable: true,
    why: 'There is no running systemd during a container build, so verbs that talk to the service manager fail ("System has not been booted with systemd") or do nothing. What you want in an image is the unit enabled at boot: `systemctl enable` works offline by creating the wants/ links, and so do static links in /usr/lib/systemd/system.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && systemctl start httpd',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && dnf clean all && systemctl enable httpd',
  },
  check({ model, report }) {
    for (const { cmd: c } of commandsNamed(model, 'systemctl')) {
      {
        const { pos, opts } = positionals(c.args, [
          '-t',
          '--type',
          '--state',
          '-p',
          '--property',
          '-H',
          '--host',
          '-M',
          '--machine',
          '--root',
        ]);
        const verb = pos[0];
        if (!verb) continue;
        if (RUNTIME.has(verb.value)) {
          const fixes: Fix[] =
            verb.value === 'start' || verb.value === 'restart'
              ? [{ title: `Use systemctl enable (start at boot)`, edits: [{ range: verb.range, newText: 'enable' }], preferred: true }]
              : [];
          report({
            range: { start: c.range.start, end: verb.range.end },
            message: `systemctl ${verb.value} needs a running systemd, which a container build does not have. Enable units (systemctl enable) so they start at boot.`,
            fixes,
          });
        } else if ((verb.value === 'enable' || verb.value === 'disable' || verb.value === 'mask') && opts.has('--now')) {
          const now = c.args.find((a) => a.value === '--now');
          report({
            range: now?.range ?? c.range,
            message: `systemctl ${verb.value} --now also starts or stops the unit, which needs a running systemd; drop --now.`,
            fixes: now
              ? [
                  {
                    title: 'Remove --now',
                    edits: [
                      {
                        range: { start: now.range.start, end: { line: now.range.end.line, character: now.range.end.character + 1 } },
                        newText: '',
                      },
                    ],
                    preferred: true,
                  },
                ]
              : [],
          });
        }
      }
    }
  },
});
