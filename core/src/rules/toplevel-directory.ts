import { lasting, shippedWrites } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import { topLevel } from '../model/paths';

/** Top-level entries of a bootc root filesystem (FHS plus ostree's). */
const STANDARD = new Set([
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/sysroot',
  '/ostree',
  '/efi',
  '/afs',
  '/',
]);

export default defineRule({
  meta: {
    id: 'toplevel-directory',
    severity: 'info',
    category: 'filesystem',
    description: 'A new top-level directory (e.g. /app): read-only at runtime; prefer /usr/lib/<app> or /var/lib/<app>.',
    fixable: false,
    why: 'On a booted bootc system every top-level directory that is not /etc or /var is part of the read-only image. An application in /app works, but it cannot write there at runtime, SELinux labels it `default_t`, and it escapes the FHS conventions tools expect. Put code in /usr/lib/<app> (or /usr/share) and state in /var/lib/<app> via tmpfiles.d or StateDirectory=.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nWORKDIR /app\nCOPY . /app/',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY . /usr/lib/myapp/',
  },
  check({ model, report }) {
    const seen = new Set<string>();
    for (const pw of shippedWrites(model)) {
      const top = topLevel(pw.write.path);
      if (STANDARD.has(top) || top.includes('$') || seen.has(top) || !lasting(model, pw)) continue;
      seen.add(top);
      const app = top.slice(1);
      report({
        range: pw.write.range,
        message: `${top} is a new top-level directory: it is read-only on the booted system. Prefer /usr/lib/${app} for content and /var/lib/${app} for state.`,
      });
    }
  },
});
