import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { TEMPLATES, TemplateError, findTemplatesDir, templateInfo, writeTemplate } from '../../core/src/templates';
import { CliError, UsageError } from './image-commands';

function listing(): string {
  const w = Math.max(...TEMPLATES.map((t) => t.name.length));
  return TEMPLATES.map((t) => `  ${t.name.padEnd(w)}  ${t.description}\n`).join('');
}

/** `bootc-lab init --template NAME [DIR]`: writes a template's Containerfile and build-context files. */
export function initCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      template: { type: 'string', short: 't' },
      list: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    process.stdout.write(listing());
    return 0;
  }
  if (!values.template) throw new UsageError(`init needs --template NAME; templates:\n${listing()}`);
  if (positionals.length > 1) throw new UsageError('init takes at most one DIR');
  try {
    templateInfo(values.template);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const dest = path.resolve(positionals[0] ?? '.');
  try {
    const written = writeTemplate(findTemplatesDir(), values.template, dest, { force: values.force });
    for (const f of written) {
      const rel = path.relative(process.cwd(), f);
      process.stdout.write(`${rel.startsWith('..') ? f : rel}\n`);
    }
    process.stdout.write(`Wrote the ${values.template} template (${written.length} files). See README.md there to build and boot it.\n`);
    return 0;
  } catch (e) {
    if (e instanceof TemplateError) throw new CliError(e.message);
    throw e;
  }
}
