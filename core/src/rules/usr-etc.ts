import { shippedWrites } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import { isUnder } from '../model/paths';

export default defineRule({
  meta: {
    id: 'usr-etc',
    severity: 'error',
    category: 'filesystem',
    description: 'Writes into /usr/etc, an ostree implementation detail.',
    fixable: true,
    why: "ostree keeps the image's default /etc in /usr/etc and performs the 3-way merge from it. A container image must only have /etc; having both is undefined behaviour and `bootc container lint` fails with `etc-usretc`. Write configuration to /etc (or to /usr/lib where the software reads it).",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY chrony.conf /usr/etc/chrony.conf',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY chrony.conf /etc/chrony.conf',
  },
  check({ model, report }) {
    for (const { write } of shippedWrites(model)) {
      if (!isUnder(write.path, '/usr/etc')) continue;
      const text = model.doc.getText(write.range);
      const fixed = text.replace('/usr/etc', '/etc');
      report({
        range: write.range,
        message: `${write.path} is under /usr/etc, which bootc reserves for ostree's copy of /etc: write to /etc instead.`,
        fixes:
          fixed !== text
            ? [{ title: 'Write to /etc instead of /usr/etc', edits: [{ range: write.range, newText: fixed }], preferred: true }]
            : [],
      });
    }
  },
});
