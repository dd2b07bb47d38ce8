import * as posix from 'node:path/posix';
import { shippedWrites } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import { isUnder } from '../model/paths';
import { KARGS_DIR } from './kargs-syntax';

export default defineRule({
  meta: {
    id: 'kargs-location',
    severity: 'warning',
    category: 'files',
    description: 'kargs files not ending in `.toml`, or placed in /etc/bootc/kargs.d.',
    fixable: true,
    why: 'bootc reads kernel arguments only from files ending in `.toml` in /usr/lib/bootc/kargs.d. Files with another extension, and the whole /etc/bootc/kargs.d directory, are silently ignored, so the arguments never reach the kernel command line.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY console.conf /etc/bootc/kargs.d/console.conf',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY console.toml /usr/lib/bootc/kargs.d/10-console.toml',
  },
  check({ model, report }) {
    for (const { write } of shippedWrites(model)) {
      if (isUnder(write.path, '/etc/bootc/kargs.d')) {
        const text = model.doc.getText(write.range);
        const fixed = text.replace('/etc/bootc/kargs.d', KARGS_DIR);
        report({
          range: write.range,
          message: `${write.path}: bootc does not read /etc/bootc/kargs.d; kernel arguments belong in ${KARGS_DIR}/*.toml.`,
          fixes:
            fixed !== text ? [{ title: `Move to ${KARGS_DIR}`, edits: [{ range: write.range, newText: fixed }], preferred: true }] : [],
        });
        continue;
      }
      if (!isUnder(write.path, KARGS_DIR) || (write.path === KARGS_DIR && write.via === 'mkdir')) continue;
      const names =
        write.intoDirectory || write.path === KARGS_DIR
          ? (write.sources ?? []).map((s) => posix.basename(s.value))
          : [posix.basename(write.path)];
      for (const n of names) {
        if (n.endsWith('.toml') || n.includes('*') || n.includes('$')) continue;
        report({ range: write.range, message: `${n} in ${KARGS_DIR} does not end in .toml: bootc ignores it.` });
      }
    }
  },
});
