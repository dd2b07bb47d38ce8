import { defineRule } from '../lint/rule';
import type { InstructionInfo, Stage } from '../model/containerfile';

function lastUser(stage: Stage | undefined): InstructionInfo | undefined {
  for (let s = stage; s; s = s.parent) {
    const users = s.instructions.filter((i) => i.keyword === 'USER');
    const last = users[users.length - 1];
    if (last) return last;
  }
  return undefined;
}

export default defineRule({
  meta: {
    id: 'non-root-user',
    severity: 'error',
    category: 'instructions',
    description: 'The final stage ends as a non-root USER; `podman run IMAGE bootc install` runs as that user and fails.',
    fixable: true,
    why: "bootc ignores USER on the booted system, but installing runs the image itself: `podman run --privileged … IMAGE bootc install to-disk`, as bootc's documentation shows it, starts the image's configured user, and bootc refuses to install unless it runs as uid 0. Tools that pass `--user root:root` (podman-bootc, bootc Lab's install mode) are not affected; scripts and CI pipelines that follow the documented command are. Run services as unprivileged users with User= or DynamicUser= in their systemd units instead.",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nUSER app',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/systemd/system/app.service\n[Service]\nDynamicUser=yes\nExecStart=/usr/bin/app\nEOF',
  },
  check({ model, report }) {
    const info = lastUser(model.finalStage);
    if (!info) return;
    const arg = info.ins.getArguments()[0];
    if (!arg) return;
    const user = arg.getValue();
    if (/^(root|0)(:(root|0))?$/.test(user)) return;
    const inFinal = info.stage.final;
    report({
      range: arg.getRange(),
      message: `The image's user is ${user}${inFinal ? '' : ` (inherited from stage ${info.stage.name ?? info.stage.index})`}: \`podman run IMAGE bootc install\` runs as that user, and bootc refuses to install without root. Run services as ${user} with User= in their systemd unit, and keep the image's user root.`,
      fixes: inFinal
        ? [{ title: 'Use USER root', edits: [{ range: arg.getRange(), newText: 'root' }], preferred: true }]
        : [
            {
              title: 'Switch back to root at the end',
              edits: [
                {
                  range: { start: model.doc.positionAt(model.text.length), end: model.doc.positionAt(model.text.length) },
                  newText: `${model.text.endsWith('\n') ? '' : '\n'}USER root\n`,
                },
              ],
            },
          ],
    });
  },
});
