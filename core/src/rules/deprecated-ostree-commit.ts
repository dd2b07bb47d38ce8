import { defineRule } from '../lint/rule';
import { commandsNamed } from '../model/indexes';

export default defineRule({
  meta: {
    id: 'deprecated-ostree-commit',
    severity: 'info',
    category: 'integration',
    description: '`ostree container commit` is deprecated; use `bootc container lint`.',
    fixable: true,
    why: '`ostree container commit` cleaned up and checked early ostree-native container builds. bootc\'s documentation says it "is no longer very useful and is not recommended"; `bootc container lint` is the supported check.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install vim && ostree container commit',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install vim && dnf clean all\nRUN bootc container lint',
  },
  check({ model, report }) {
    for (const { cmd: c } of commandsNamed(model, 'ostree')) {
      {
        if (c.name !== 'ostree' || c.args[0]?.value !== 'container' || c.args[1]?.value !== 'commit') continue;
        report({
          range: c.range,
          message: '`ostree container commit` is deprecated: use `bootc container lint` (as the final step).',
          fixes: [
            { title: 'Replace with bootc container lint', edits: [{ range: c.range, newText: 'bootc container lint' }], preferred: true },
          ],
        });
      }
    }
  },
});
