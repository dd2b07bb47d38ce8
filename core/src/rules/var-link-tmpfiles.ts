import * as posix from 'node:path/posix';
import { addFileFixes, lasting, shippedWrites, type PlacedWrite } from '../lint/helpers';
import { defineRule, type Fix } from '../lint/rule';
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
      'A top-level link into /var (/home -> var/home, /root, /opt, /srv, /mnt, /usr/local) whose target no tmpfiles.d line creates, or whose relative target misses /var.',
    fixable: true,
    why: "On a bootc system /var is machine state, and the only dependable way to make a directory exist there on every machine is a systemd-tmpfiles entry: custom bases empty /var in the image (`rm -rf /var && mkdir /var`), bootc's `var-tmpfiles` lint flags directories left there without one, and a machine whose /var was set up from an earlier image never gets new content. Without an entry, a link such as `/home -> var/home` points at nothing on a fresh install: /home does not exist, logins without a home fail, `useradd -m` fails. bootc bases ship tmpfiles.d entries for the links they make; a custom base must add its own (`d /var/home 0755 root root -`). A relative target resolves from the link's own directory: `ln -s var/usrlocal /usr/local` points at /usr/var/usrlocal, which nothing creates; it must be `../var/usrlocal`.",
    bad: 'FROM docker.io/library/debian:bookworm\nRUN rm -rf /home && mkdir -p /var/home && ln -s var/home /home',
    good: 'FROM docker.io/library/debian:bookworm\nRUN rm -rf /home && mkdir -p /var/home && ln -s var/home /home\nCOPY <<EOF /usr/lib/tmpfiles.d/bootc-home.conf\nd /var/home 0755 root root -\nEOF',
  },
  check({ model, report, buildContext }) {
    const family = rootStage(model)?.family;
    /**
     * `ln -s var/usrlocal /usr/local` written as if from /: a relative target resolves from the
     * link's own directory, here /usr/var/usrlocal, which nothing creates, so the link dangles.
     */
    const misresolved = (pw: PlacedWrite, dest: string): void => {
      const w = pw.write;
      const target = w.linkTarget ?? '';
      const dir = posix.dirname(w.path);
      const meant = resolvePath(target, '/');
      if (target.startsWith('/') || dir === '/' || !isUnder(meant, '/var') || meant === '/var' || !lasting(model, pw)) return;
      const fixed = posix.relative(dir, meant);
      const word = w.sources?.[0];
      const fixes: Fix[] = [];
      if (word && word.value === target) {
        const retarget = { range: word.range, newText: fixed };
        // The corrected link needs its target declared too, or the next finding is the missing entry.
        const entry = declares(meant) === false ? tmpfilesFixFor(pw, meant).heredoc : undefined;
        fixes.push({
          title: entry ? `Link to ${fixed} and add a tmpfiles.d entry for ${meant}` : `Link to ${fixed}`,
          edits: [retarget, ...(entry?.edits ?? [])],
          preferred: true,
        });
      }
      report({
        range: w.range,
        message: `${w.path} links to ${target}, which resolves from ${dir} (the link's own directory) to ${dest}, not ${meant}: the link dangles and ${w.path} does not exist on the booted system. Use ${fixed}.`,
        fixes,
      });
    };
    let tmpfiles: ReturnType<typeof tmpfilesEntries> | undefined;
    /** Whether a tmpfiles.d line creates `dest`; undefined when a tmpfiles.d file cannot be read. */
    const declares = (dest: string): boolean | undefined => {
      tmpfiles ??= tmpfilesEntries(model, buildContext);
      if (tmpfiles.unknown.length > 0) return undefined;
      return tmpfiles.entries.some((e) => CREATING_TYPES.has(e.type) && e.path === dest);
    };
    const tmpfilesFixFor = (pw: PlacedWrite, dest: string): ReturnType<typeof addFileFixes> => {
      const name = `bootc-${pw.write.path.split('/').filter(Boolean).join('-')}`;
      return addFileFixes(model, pw.info, `/usr/lib/tmpfiles.d/${name}.conf`, tmpfilesLineFor(dest), `a tmpfiles.d entry for ${dest}`);
    };
    for (const pw of shippedWrites(model)) {
      const w = pw.write;
      if (w.via !== 'ln' || !w.linkTarget || w.intoDirectory || !VAR_LINKED.includes(w.path)) continue;
      const dest = linkDestination(w.path, w.linkTarget);
      if (!isUnder(dest, '/var')) {
        misresolved(pw, dest);
        continue;
      }
      if (dest === '/var' || !lasting(model, pw)) continue;
      // bootc bases declare the links they ship themselves.
      if (family?.kind === 'bootc' && family.varLinks[w.path] === dest) continue;
      // A tmpfiles.d file we cannot read may well declare it: stay quiet rather than guess.
      if (declares(dest) !== false) continue;
      const f = tmpfilesFixFor(pw, dest);
      report({
        range: w.range,
        message: `${w.path} links to ${dest}, but no tmpfiles.d line creates ${dest}: /var is machine state, so on a fresh install the link dangles and ${w.path} does not exist. Add \`${tmpfilesLineFor(dest)}\` to a tmpfiles.d file.`,
        fixes: [{ ...f.heredoc, preferred: true }, f.contextFile],
      });
    }
  },
});
