// Generates what is derived from rule metadata: docs/rules/*.md, the README rule table and the
// `bootcLab.rules` settings schema in package.json. `--check` fails when a file is out of date.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../core/src/rules';
import { SYNTAX_RULES } from '../core/src/lint/syntax';
import { ENGINE_RULES } from '../core/src/lint/engine';
import { IMAGE_LINTS, OWN_IMAGE_LINTS } from '../core/src/image/lints';
import type { RuleMeta } from '../core/src/lint/rule';

const root = path.resolve(__dirname, '..');
const check = process.argv.includes('--check');
const stale: string[] = [];

function write(rel: string, content: string): void {
  const file = path.join(root, rel);
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (old === content) return;
  if (check) stale.push(rel);
  else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

function ruleDoc(m: RuleMeta): string {
  return `# ${m.id}

**Default severity:** ${m.severity} · **Category:** ${m.category} · **Quick fix:** ${m.fixable ? 'yes' : 'no'}

${m.description}

## Why

${m.why}

${m.bad ? `## Bad\n\n\`\`\`dockerfile\n${m.bad}\n\`\`\`\n\n## Good\n\n\`\`\`dockerfile\n${m.good}\n\`\`\`\n` : ''}
## How to suppress

For one instruction, put this comment on the line above it:

\`\`\`dockerfile
# bootc-lint ignore=${m.id}
\`\`\`

For the whole file, anywhere in it: \`# bootc-lint global ignore=${m.id}\`.
For a project (editor and CI alike), in \`.bootc-lint.yaml\`:

\`\`\`yaml
rules:
  ${m.id}: off   # or error | warning | info
\`\`\`
`;
}

function syntaxDoc(): string {
  const rows = SYNTAX_RULES.map((m) => `| \`${m.id}\` | ${m.description} |`).join('\n');
  return `# Dockerfile syntax diagnostics (dockerfile-\\*)

bootc Lab runs [dockerfile-utils](https://www.npmjs.com/package/dockerfile-utils) and reports what \`podman build\`
would reject, under stable ids of its own (source \`dockerfile\`). They are off when Microsoft's Container
Tools or Docker extension already reports the same diagnostics (setting \`bootcLab.syntaxDiagnostics\`: \`auto\`),
and can be turned on or off explicitly (\`on\`/\`off\`, or \`syntax: false\` in \`.bootc-lint.yaml\`).

| Id | Meaning |
| --- | --- |
${rows}

Suppress one like any rule: \`# bootc-lint ignore=dockerfile-unknown-instruction\` above the instruction.
`;
}

for (const m of [...ALL_RULES.map((r) => r.meta), ...ENGINE_RULES]) write(`docs/rules/${m.id}.md`, ruleDoc(m));
write('docs/rules/dockerfile-syntax.md', syntaxDoc());

// Image lints (bootc container lint and our port): one page with an anchor per lint.
write(
  'docs/image-lints.md',
  `# Image lints

After a build, bootc Lab lints the image's filesystem with a port of \`bootc container lint\` (and with the image's
own \`bootc\` when it has one), then pins each finding to the Containerfile instruction whose layer added the
offending path (\`FROM\` for the base image). Diagnostics have the source \`bootc image\` and the lint name as code.

${IMAGE_LINTS.map((l) => `## ${l.name}\n\n**Type:** ${l.type}${l.rootType ? ` · only when bootc runs in ${l.rootType === 'running' ? 'Running' : 'Alternative'} mode` : ''}\n\n${l.description}\n\n${l.hint ?? ''}\n`).join('\n')}
# bootc Lab's own image checks

Not part of \`bootc container lint\`: the built-image side of typing-time rules, under the same ids, for what only
the image shows (the initramfs dracut actually built, the links and tmpfiles.d files that ended up in it).

${OWN_IMAGE_LINTS.map(({ meta: l }) => `## ${l.name}\n\n**Type:** ${l.type} · typing-time rule: [${l.name}](rules/${l.name}.md)\n\n${l.description}\n\n${l.hint ?? ''}\n`).join('\n')}`,
);

// README rule table between markers.
const table = [
  '| Rule | Default | Quick fix | What it finds |',
  '| --- | --- | --- | --- |',
  ...ALL_RULES.map(
    (r) =>
      `| [\`${r.meta.id}\`](docs/rules/${r.meta.id}.md) | ${r.meta.severity} | ${r.meta.fixable ? 'yes' : ''} | ${r.meta.description.replace(/\|/g, '\\|')} |`,
  ),
].join('\n');
const readmePath = 'README.md';
const readme = fs.readFileSync(path.join(root, readmePath), 'utf8');
const start = '<!-- rules:start -->';
const end = '<!-- rules:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < 0) throw new Error('README.md lacks the rules markers');
write(readmePath, readme.slice(0, a + start.length) + '\n' + table + '\n' + readme.slice(b));

// Settings schema for per-rule overrides.
const pkgPath = path.join(root, 'package.json');
const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { contributes: { configuration: { properties: Record<string, unknown> } } };
const ids = [...ALL_RULES.map((r) => r.meta), ...SYNTAX_RULES];
pkg.contributes.configuration.properties['bootcLab.rules'] = {
  type: 'object',
  scope: 'resource',
  default: {},
  markdownDescription:
    'Severity per rule id (`error`, `warning`, `info`) or `off`. A `.bootc-lint.yaml` in the project overrides these for the rules it sets, so the editor agrees with `bootc-lab lint` in CI.',
  properties: Object.fromEntries(
    ids.map((m) => [
      m.id,
      { type: 'string', enum: ['error', 'warning', 'info', 'off'], markdownDescription: `${m.description} (default: ${m.severity})` },
    ]),
  ),
  additionalProperties: false,
};
write('package.json', JSON.stringify(pkg, null, 2) + '\n');

if (stale.length) {
  process.stderr.write(`Generated files are out of date: ${stale.join(', ')}\nRun: npm run gen\n`);
  process.exit(1);
}
