import * as path from 'node:path';
import { list, names, readText } from './rootfs';
import { defineImageLint } from './types';

function sysusersDeclared(root: string): { users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  const dir = path.join(root, 'usr/lib/sysusers.d');
  for (const f of list(dir).filter((n) => n.endsWith('.conf'))) {
    for (const line of (readText(path.join(dir, f)) ?? '').split('\n')) {
      const m = /^\s*([ug])!?\s+(\S+)/.exec(line);
      if (!m) continue;
      if (m[1] === 'u') {
        users.add(m[2] ?? '');
        groups.add(m[2] ?? '');
      } else groups.add(m[2] ?? '');
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
    const users = names(readText(path.join(root, 'etc/passwd'))).filter((u) => !decl.users.has(u.name));
    const groups = names(readText(path.join(root, 'etc/group'))).filter((g) => !decl.groups.has(g.name));
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
