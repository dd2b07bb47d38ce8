import { defineRule } from '../lint/rule';
import { commandsNamed } from '../model/indexes';

export default defineRule({
  meta: {
    id: 'selinux-chcon',
    severity: 'warning',
    category: 'files',
    description: '`chcon`/`restorecon` with a type in RUN; labels come from policy, use `semanage fcontext`.',
    fixable: false,
    why: 'SELinux labels of a bootc system are computed from the policy when the image is deployed, not taken from the build: `chcon -t foo_t /usr/bin/foo` in a RUN does not survive, and `restorecon` during the build relabels a filesystem that is labelled again later. Record the rule in the policy with `semanage fcontext -a -t foo_t "/usr/bin/foo"` (works since bootc 1.1.0) so every deployment gets it.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN chcon -t bin_t /usr/local/bin/tool',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN semanage fcontext -a -t bin_t "/usr/local/bin/tool"',
  },
  check({ model, report }) {
    for (const { info, cmd: c } of commandsNamed(model, 'chcon', 'restorecon')) {
      if (!info.stage.shipped) continue;
      {
        const msg =
          c.name === 'chcon'
            ? 'chcon labels files only in this build; the deployed system is labelled from the policy. Use semanage fcontext -a -t TYPE "PATH" instead.'
            : 'restorecon in a build relabels files that are labelled again from the policy at deployment. Record custom types with semanage fcontext instead.';
        report({ range: c.range, message: msg });
      }
    }
  },
});
