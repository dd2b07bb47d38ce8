import type { Arg, Env } from 'dockerfile-ast';
import { defineRule } from '../lint/rule';

const SECRET = new Set([
  'password',
  'passwd',
  'pword',
  'pass',
  'secret',
  'secrets',
  'token',
  'apikey',
  'key',
  'credential',
  'credentials',
  'auth',
  'pat',
  'privatekey',
]);
const HARMLESS = new Set([
  'public',
  'file',
  'path',
  'dir',
  'version',
  'url',
  'id',
  'name',
  'type',
  'size',
  'length',
  'server',
  'host',
  'file',
  'fingerprint',
  'algo',
  'algorithm',
  'ring',
  'server',
]);

/** Splits `GITHUB_TOKEN`, `apiKey`, `db-password` into lowercase words. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_\-.]+/)
    .map((t) => t.toLowerCase())
    .filter(Boolean);
}

export function looksSecret(name: string): boolean {
  const t = nameTokens(name);
  return t.some((x) => SECRET.has(x)) && !t.some((x) => HARMLESS.has(x));
}

export default defineRule({
  meta: {
    id: 'secret-in-build-arg',
    severity: 'warning',
    category: 'users',
    description: 'ARG/ENV whose name looks like a secret (token, password, key, secret); use RUN --mount=type=secret.',
    fixable: false,
    why: 'ARG and ENV values are recorded in the image: ENV in its configuration, ARG in the build history of every RUN that uses it (`podman history --no-trunc`). Anyone who can pull the image can read them, and a bootc image is often pushed to a registry many machines pull from. Pass secrets with `RUN --mount=type=secret,id=NAME` (podman build --secret id=NAME,src=FILE); they never enter a layer.',
    bad: 'FROM quay.io/fedora/fedora-bootc:42\nARG REGISTRY_TOKEN\nRUN curl -H "Authorization: Bearer $REGISTRY_TOKEN" https://example.com/agent.rpm -o /tmp/a.rpm',
    good: 'FROM quay.io/fedora/fedora-bootc:42\nRUN --mount=type=secret,id=registry_token \\\n    curl -H "Authorization: Bearer $(cat /run/secrets/registry_token)" https://example.com/agent.rpm -o /tmp/a.rpm',
  },
  check({ model, report }) {
    for (const info of model.instructions) {
      if (info.keyword !== 'ARG' && info.keyword !== 'ENV') continue;
      let props;
      try {
        props = (info.ins as Arg | Env).getProperties();
      } catch {
        continue;
      }
      for (const p of props) {
        const name = p.getName();
        if (!looksSecret(name)) continue;
        report({
          range: p.getNameRange(),
          message: `${info.keyword} ${name} looks like a secret; its value is stored in the image${info.keyword === 'ARG' ? ' history' : ' configuration'}. Use RUN --mount=type=secret,id=${name.toLowerCase()} instead.`,
        });
      }
    }
  },
});
