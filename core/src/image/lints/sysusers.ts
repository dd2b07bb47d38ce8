import * as path from 'node:path';
import { list, names, readText } from './rootfs';
import { defineImageLint } from './types';

function sysusersDeclared(root: string): { users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  const dir = path.join(root, 'usr/lib/sysusers.d');
  for (const f of list(dir).filter((n) => n.endsWith('.conf'))) {
    for (const line of (readText(path.join(dir, f)) ?? '').split('\n')) {
      // bootc's tokens: `u`, `u!` or `g`, then a name that may be double-quoted.
      const m = /^\s*(u!?|g)\s+(?:"([^"]*)"|(\S+))/.exec(line);
      if (!m) continue;
      const name = m[2] ?? m[3] ?? '';
      if (m[1] !== 'g') users.add(name);
      groups.add(name);
    }
  }
  return { users, groups };
}

export default defineImageLint({
  meta: {
    name: 'sysusers',
    type: 'warning',
    description:
      'Check for users in /etc/passwd and groups in /etc/group that do not have corresponding systemd sysusers.d entries in /usr/lib/sysusers.d.',
    hint: 'Declare users and groups in `/usr/lib/sysusers.d/*.conf` (`u name - "description" /var/lib/name -`).',
  },
  check(root) {
    const decl = sysusersDeclared(root);
    // bootc collects the missing names in sorted sets: they print in byte order, not file order.
    const missing = (file: string, known: Set<string>): { name: string }[] =>
      [...new Set(names(readText(path.join(root, file))).map((e) => e.name))]
        .filter((n) => !known.has(n))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        .map((name) => ({ name }));
    const users = missing('etc/passwd', decl.users);
    const groups = missing('etc/group', decl.groups);
    if (users.length === 0 && groups.length === 0) return undefined;
    const sections: { header: string; items: string[] }[] = [];
    let message = '';
    let items: string[] = [];
    if (users.length) {
      message = 'Found /etc/passwd entry without corresponding systemd sysusers.d:';
      items = users.map((u) => u.name);
    }
    if (groups.length) {
      const header = 'Found /etc/group entry without corresponding systemd sysusers.d:';
      if (!message) {
        message = header;
        items = groups.map((g) => g.name);
      } else sections.push({ header, items: groups.map((g) => g.name) });
    }
    return {
      message,
      items,
      sections,
      paths: [],
      users: [
        ...users.map((u) => ({ kind: 'user' as const, name: u.name })),
        ...groups.map((g) => ({ kind: 'group' as const, name: g.name })),
      ],
    };
  },
});
