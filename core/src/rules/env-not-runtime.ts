import type { Env } from 'dockerfile-ast';
import { defineRule } from '../lint/rule';

export default defineRule({
  meta: {
    id: 'env-not-runtime',
    severity: 'info',
    category: 'instructions',
    description: 'ENV applies to the build only, not to the booted system.',
    fixable: false,
    why: "ENV sets variables in the image's container configuration: later RUN steps and `podman run` see them, but a booted bootc system does not (bootc ignores container configuration). For services, set Environment= in the unit; for everyone, use /usr/lib/environment.d/*.conf (systemd user sessions) or /etc/profile.d (login shells).",
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nENV HTTP_PROXY=http://proxy:3128',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nCOPY <<EOF /usr/lib/systemd/system.conf.d/10-proxy.conf\n[Manager]\nDefaultEnvironment=HTTP_PROXY=http://proxy:3128\nEOF',
  },
  check({ model, report }) {
    const final = model.finalStage;
    if (!final) return;
    for (const info of final.instructions) {
      if (info.keyword !== 'ENV') continue;
      let props;
      try {
        props = (info.ins as Env).getProperties();
      } catch {
        continue;
      }
      for (const p of props) {
        const name = p.getName();
        if (name === 'container') continue;
        report({
          range: p.getNameRange(),
          message: `ENV ${name} is set for the build's later steps only; the booted system does not see it. Use Environment= in a unit, environment.d or profile.d.`,
        });
      }
    }
  },
});
