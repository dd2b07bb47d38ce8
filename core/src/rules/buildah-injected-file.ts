import { defineRule } from '../lint/rule';
import { shippedInstructions } from '../model/containerfile';

const INJECTED = ['/etc/hostname', '/etc/resolv.conf', '/etc/hosts'];

export default defineRule({
  meta: {
    id: 'buildah-injected-file',
    severity: 'warning',
    category: 'files',
    description: 'A RUN that writes /etc/hostname, /etc/resolv.conf or /etc/hosts (bind-mounted during RUN; the write is lost).',
    fixable: false,
    why: "podman and buildah bind-mount their own /etc/hostname, /etc/resolv.conf and /etc/hosts into every RUN step, so what a RUN writes there goes to the mount and is lost; the image ends up with the builder's empty placeholders (`bootc container lint`: `buildah-injected`). Ship such files with COPY, or configure them properly (hostnamectl at first boot, systemd-resolved drop-ins, NetworkManager).",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nRUN echo myhost > /etc/hostname',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY hostname /etc/hostname',
  },
  check({ model, report }) {
    for (const info of shippedInstructions(model)) {
      if (info.keyword !== 'RUN') continue;
      for (const w of info.writes) {
        if (!INJECTED.includes(w.path)) continue;
        report({
          range: w.range,
          message: `${w.path} is bind-mounted by the builder during RUN: this write is lost. Use COPY for the file, or configure it at runtime.`,
        });
      }
    }
  },
});
