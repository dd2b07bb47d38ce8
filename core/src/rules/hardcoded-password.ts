import { defineRule } from '../lint/rule';
import { positionals } from '../model/effects';
import { commandsNamed } from '../model/indexes';

export default defineRule({
  meta: {
    id: 'hardcoded-password',
    severity: 'warning',
    category: 'users',
    description: 'Passwords set in the image: chpasswd, `passwd --stdin`, `usermod -p`, piped passwords.',
    fixable: false,
    why: "A password set during the build is the same on every machine, is readable in the image layers by anyone who can pull it, and /etc/shadow becomes machine-local after the first local change, so it cannot be rotated by a new image. bootc's docs strongly recommend against it. Inject credentials at install time: bootc-image-builder `[[customizations.user]]`, kickstart, cloud-init, `bootc install --root-ssh-authorized-keys`, or systemd credentials.",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN echo "root:changeme" | chpasswd',
    good: 'FROM quay.io/fedora/fedora-bootc:42\n# set users and keys at install time, e.g. bootc-image-builder config.toml:\n# [[customizations.user]]\n# name = "admin"\n# key = "ssh-ed25519 AAAA…"',
  },
  check({ model, report }) {
    for (const { cmd: c } of commandsNamed(model, 'chpasswd', 'passwd', 'usermod', 'useradd')) {
      {
        const { opts } = positionals(c.args, ['-p', '--password', '-c', '-d', '-g', '-G', '-s', '-u', '-e']);
        let how: string | undefined;
        if (c.name === 'chpasswd') how = 'chpasswd';
        else if (c.name === 'passwd' && (opts.has('--stdin') || c.piped || c.heredocs.length > 0))
          how = 'passwd reading a password from its input';
        else if ((c.name === 'usermod' || c.name === 'useradd') && (opts.has('-p') || opts.has('--password'))) how = `${c.name} -p`;
        if (!how) continue;
        report({
          range: c.range,
          message: `A password is set in the image (${how}): it is the same on every machine and readable from the image. Inject credentials at install time (bootc-image-builder, kickstart, cloud-init, systemd credentials).`,
        });
      }
    }
  },
});
