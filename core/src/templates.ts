import * as fs from 'node:fs';
import * as path from 'node:path';

/** A project template: a Containerfile with the build-context files it COPYs, in `templates/<name>/`. */
export interface TemplateInfo {
  name: string;
  title: string;
  description: string;
}

export const TEMPLATES: readonly TemplateInfo[] = [
  {
    name: 'debian-kvm-host',
    title: 'Debian KVM host',
    description: 'A Debian libvirt/KVM virtualization host: br0 bridge, nested KVM and IOMMU kargs, bootc built from a pinned release',
  },
  {
    name: 'debian-minimal',
    title: 'Debian minimal',
    description: 'A plain Debian bootc base: kernel, dracut initramfs, bootc layout and sshd, to build on',
  },
  {
    name: 'ubuntu-minimal',
    title: 'Ubuntu minimal',
    description: 'A plain Ubuntu bootc base: kernel, dracut initramfs, bootc layout and sshd, to build on',
  },
];

export class TemplateError extends Error {}

/**
 * Where the templates are: next to `dist/` in the packaged extension and CLI, at the repository
 * root when running from source.
 */
export function findTemplatesDir(from: string = __dirname): string {
  for (const up of ['..', '../..']) {
    const dir = path.resolve(from, up, 'templates');
    if (fs.existsSync(path.join(dir, TEMPLATES[0]?.name ?? '', 'Containerfile'))) return dir;
  }
  throw new TemplateError(`the templates folder was not found near ${from}`);
}

export function templateInfo(name: string): TemplateInfo {
  const t = TEMPLATES.find((x) => x.name === name);
  if (!t) throw new TemplateError(`no template named ${name} (templates: ${TEMPLATES.map((x) => x.name).join(', ')})`);
  return t;
}

/** The template's files, relative to its folder, sorted. */
export function templateFiles(templatesDir: string, name: string): string[] {
  templateInfo(name);
  const root = path.join(templatesDir, name);
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Writes the template into `dest` (created when missing) and returns the files written. Refuses,
 * before writing anything, when one of them already exists, unless `force`.
 */
export function writeTemplate(templatesDir: string, name: string, dest: string, opts: { force?: boolean } = {}): string[] {
  const files = templateFiles(templatesDir, name);
  if (!opts.force) {
    const existing = files.filter((f) => fs.existsSync(path.join(dest, f)));
    if (existing.length > 0)
      throw new TemplateError(`${path.join(dest, existing[0] ?? '')} already exists (use --force to overwrite the template's files)`);
  }
  for (const f of files) {
    const src = path.join(templatesDir, name, f);
    const to = path.join(dest, f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(src, to);
    // Scripts the Containerfile COPYs keep their executable bit.
    fs.chmodSync(to, fs.statSync(src).mode & 0o777);
  }
  return files.map((f) => path.join(dest, f));
}
