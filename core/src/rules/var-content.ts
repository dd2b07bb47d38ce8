import { addFileFixes, lasting, mountCovers, realPath, shippedWrites, varLinksAt } from '../lint/helpers';
import { defineRule } from '../lint/rule';
import { tmpfilesEntries } from '../lint/tmpfiles';
import { isUnder } from '../model/paths';

export default defineRule({
  meta: {
    id: 'var-content',
    severity: 'warning',
    category: 'filesystem',
    description: 'Content written into /var (or a path the base links into /var) is seeded at first install only, never updated.',
    fixable: true,
    why: "On a booted bootc system /var is machine state. The image's /var is unpacked once, when the system is installed; later images never touch it, so files you add or change there never reach machines that are already running. `bootc container lint` reports such content as `var-tmpfiles`. Declare directories with systemd-tmpfiles (`/usr/lib/tmpfiles.d/*.conf`) or `StateDirectory=` in the unit, and ship read-only data under `/usr`.",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN mkdir -p /var/lib/myapp && cp /tmp/seed.db /var/lib/myapp/',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY seed.db /usr/share/myapp/seed.db\nCOPY <<EOF /usr/lib/tmpfiles.d/myapp.conf\nd /var/lib/myapp 0755 root root -\nC /var/lib/myapp/seed.db - - - - /usr/share/myapp/seed.db\nEOF',
  },
  check({ model, report, buildContext }) {
    const { entries } = tmpfilesEntries(model, buildContext);
    const declared = new Set(entries.map((e) => e.path));
    // An `L` line recreates the link on every boot, so a link the image also ships is not stale state.
    const tmpfilesLinks = new Set(entries.filter((e) => e.type === 'L').map((e) => e.path));
    for (const pw of shippedWrites(model)) {
      const { write, info } = pw;
      // WORKDIR creates at most an empty directory that the base usually already has.
      if (write.via === 'workdir') continue;
      const links = varLinksAt(model, info, write.order);
      const real = realPath(write.path, links);
      if (!isUnder(real.path, '/var') || isUnder(real.path, '/var/run')) continue;
      // `rm -rf /var && mkdir -p /var`: an empty /var is the mount point itself, not content in it.
      if (real.path === '/var' && (write.via === 'mkdir' || write.via === 'install')) continue;
      if (!lasting(model, pw) || mountCovers(info, real.path)) continue;
      // bootc's var-tmpfiles accepts directories that a tmpfiles.d line declares.
      if ((write.via === 'mkdir' || write.via === 'install') && (declared.has(real.path) || declared.has(write.path))) continue;
      if (write.via === 'ln' && tmpfilesLinks.has(write.path)) continue;
      const family = model.stages.find((s) => s.shipped && !s.parent)?.family?.title ?? 'this base';
      const where = real.via
        ? `${write.path} lands in ${real.path} (${real.via} is a link into /var on ${family})`
        : `${write.path} is in /var`;
      const dir = write.via === 'mkdir' || write.intoDirectory ? real.path : real.path.replace(/\/[^/]*$/, '') || '/var';
      const name = (dir.split('/').filter(Boolean).slice(-1)[0] ?? 'state').replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '') || 'state';
      const f = addFileFixes(model, info, `/usr/lib/tmpfiles.d/${name}.conf`, `d ${dir} 0755 root root -`, 'a tmpfiles.d entry');
      report({
        range: write.range,
        message: `${where}: content there is unpacked only when a machine is first installed and never updated by later images. Declare it in /usr/lib/tmpfiles.d (or StateDirectory=) instead.`,
        fixes: [{ ...f.heredoc, preferred: true }, f.contextFile],
      });
    }
  },
});
