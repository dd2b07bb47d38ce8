import * as posix from 'node:path/posix';
import { addFileFixes, lasting, shippedWrites } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import { CREATING_TYPES, tmpfilesEntries } from '../lint/tmpfiles';
import { rootStage } from '../model/containerfile';
import { isUnder, resolvePath } from '../model/paths';

/** The places bootc and ostree systems link into /var (`/home -> var/home`, `/usr/local -> ../var/usrlocal`). */
export const VAR_LINKED = ['/home', '/opt', '/srv', '/mnt', '/root', '/media', '/usr/local'];

/** Where a link at `linkPath` pointing to `target` resolves, inside the image. */
export function linkDestination(linkPath: string, target: string): string {
  return resolvePath(target, posix.dirname(linkPath));
}

/** The tmpfiles.d line that makes a link target exist on a fresh install. */
export function tmpfilesLineFor(dest: string): string {
  return `d ${dest} ${dest === '/var/roothome' ? '0700' : '0755'} root root -`;
}

export default defineRule({
  meta: {
    id: 'var-link-tmpfiles',
    severity: 'warning',
    category: 'filesystem',
    description:
      'A top-level link into /var (/home -> var/home, /root, /opt, /srv, /mnt, /usr/local) whose target no tmpfiles.d line creates.',
    fixable: true,
    why: "On a bootc system /var is machine state, and the only dependable way to make a directory exist there on every machine is a systemd-tmpfiles entry: custom bases empty /var in the image (`rm -rf /var && mkdir /var`), bootc's `var-tmpfiles` lint flags directories left there without one, and a machine whose /var was set up from an earlier image never gets new content. Without an entry, a link such as `/home -> var/home` points at nothing on a fresh install: /home does not exist, logins without a home fail, `useradd -m` fails. bootc bases ship tmpfiles.d entries for the links they make; a custom base must add its own (`d /var/home 0755 root root -`).",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN rm -rf /home && mkdir -p /var/home && ln -s var/home /home',
    good: 'FROM docker.io/library/debian:bookworm\nRUN rm -rf /home && mkdir -p /var/home && ln -s var/home /home\nCOPY <<EOF /usr/lib/tmpfiles.d/bootc-home.conf\nd /var/home 0755 root root -\nEOF',
  },
  check({ model, report, buildContext }) {
    const family = rootStage(model)?.family;
    let tmpfiles: ReturnType<typeof tmpfilesEntries> | undefined;
    for (const pw of shippedWrites(model)) {
      const w = pw.write;
      if (w.via !== 'ln' || !w.linkTarget || w.intoDirectory || !VAR_LINKED.includes(w.path)) continue;
      const dest = linkDestination(w.path, w.linkTarget);
      if (!isUnder(dest, '/var') || dest === '/var' || !lasting(model, pw)) continue;
      // bootc bases declare the links they ship themselves.
      if (family?.kind === 'bootc' && family.varLinks[w.path] === dest) continue;
      tmpfiles ??= tmpfilesEntries(model, buildContext);
      // A tmpfiles.d file we cannot read may well declare it: stay quiet rather than guess.
      if (tmpfiles.unknown.length > 0) return;
      if (tmpfiles.entries.some((e) => CREATING_TYPES.has(e.type) && e.path === dest)) continue;
      const name = `bootc-${w.path.split('/').filter(Boolean).join('-')}`;
      const f = addFileFixes(model, pw.info, `/usr/lib/tmpfiles.d/${name}.conf`, tmpfilesLineFor(dest), `a tmpfiles.d entry for ${dest}`);
      report({
        range: w.range,
        message: `${w.path} links to ${dest}, but no tmpfiles.d line creates ${dest}: /var is machine state, so on a fresh install the link dangles and ${w.path} does not exist. Add \`${tmpfilesLineFor(dest)}\` to a tmpfiles.d file.`,
        fixes: [{ ...f.heredoc, preferred: true }, f.contextFile],
      });
    }
  },
});
