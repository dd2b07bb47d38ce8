import { addFileFixes, shippedWrites } from '../lint/helpers';
import { filesOf, type ImageFile } from '../lint/context-files';
import { defineRule } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';
import { isUnder } from '../model/paths';

/** Names declared by sysusers.d lines: `u name`, `u! name` (user and group), `g name`. */
export function sysusersNames(text: string): { users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([ugmr])!?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[2] ?? '';
    if (m[1] === 'u') {
      users.add(name);
      groups.add(name);
    } else if (m[1] === 'g') groups.add(name);
  }
  return { users, groups };
}

export default defineRule({
  meta: {
    id: 'useradd-without-sysusers',
    severity: 'warning',
    category: 'users',
    description: 'useradd/groupadd/adduser with no sysusers.d declaration for that name in the file.',
    fixable: true,
    why: '/etc/passwd and /etc/group are merged 3-way on upgrade: once a machine changes them locally (a password, a new user), users added by later images do not appear there. Declaring users in /usr/lib/sysusers.d lets systemd-sysusers create them at every boot. `bootc container lint` reports undeclared users (`sysusers`); it reads only /usr/lib/sysusers.d.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN useradd --system myapp',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/sysusers.d/myapp.conf\nu myapp - "My app" /var/lib/myapp -\nEOF',
  },
  check({ model, report, buildContext }) {
    const decl: ImageFile[] = shippedWrites(model)
      .filter((pw) => isUnder(pw.write.path, '/usr/lib/sysusers.d') || isUnder(pw.write.path, '/etc/sysusers.d'))
      .flatMap((pw) => filesOf(pw, buildContext))
      .filter((f) => f.path.endsWith('.conf') || f.unknown);
    const users = new Set<string>();
    const groups = new Set<string>();
    const inEtc = new Set<string>();
    for (const f of decl) {
      if (f.content === undefined) continue;
      const n = sysusersNames(f.content);
      const target = isUnder(f.path, '/etc/sysusers.d') ? inEtc : undefined;
      n.users.forEach((u) => (target ?? users).add(u));
      n.groups.forEach((g) => (target ? target.add(g) : groups.add(g)));
    }
    const unreadable = decl.filter((f) => f.content === undefined);
    for (const info of shippedInstructions(model)) {
      for (const u of info.users) {
        const known = u.what === 'user' ? users.has(u.name) : groups.has(u.name);
        if (known) continue;
        if (unreadable.length > 0) {
          const why = unreadable.map((f) => f.unknown).join('; ');
          report({ range: u.range, severity: 'info', message: `Cannot tell whether ${u.name} is declared in sysusers.d: ${why}.` });
          continue;
        }
        const line = u.what === 'user' ? `u ${u.name} - "${u.name}" ${u.home ?? '-'} -` : `g ${u.name} -`;
        const f = addFileFixes(model, info, `/usr/lib/sysusers.d/${u.name}.conf`, line, `a sysusers.d declaration for ${u.name}`);
        const etc = inEtc.has(u.name) ? ' (it is declared in /etc/sysusers.d, which bootc container lint does not read)' : '';
        report({
          range: u.range,
          message: `${u.what === 'user' ? 'User' : 'Group'} ${u.name} is created with ${u.what === 'user' ? 'useradd' : 'groupadd'} but not declared in /usr/lib/sysusers.d${etc}: machines whose /etc/passwd changed locally will not get it on upgrade.`,
          fixes: [{ ...f.heredoc, preferred: true }, f.contextFile],
        });
      }
    }
  },
});
