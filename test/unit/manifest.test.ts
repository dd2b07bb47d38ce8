import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '../..');

interface Manifest {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, unknown> };
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const clientSource = fs
  .readdirSync(path.join(ROOT, 'client/src'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => fs.readFileSync(path.join(ROOT, 'client/src', f), 'utf8'))
  .join('\n');

describe('extension manifest', () => {
  it('declares every command the extension registers, and registers every command it declares', () => {
    const declared = new Set(manifest.contributes.commands.map((c) => c.command));
    const registered = new Set([...clientSource.matchAll(/registerCommand\(\s*'([^']+)'/g)].map((m) => m[1] ?? ''));
    assert.deepEqual([...declared].filter((c) => !registered.has(c)).sort(), []);
    assert.deepEqual([...registered].filter((c) => !declared.has(c)).sort(), []);
  });

  it('menus name declared commands, and their `config.` conditions name declared settings', () => {
    const declared = new Set(manifest.contributes.commands.map((c) => c.command));
    const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
    for (const [menu, items] of Object.entries(manifest.contributes.menus))
      for (const item of items) {
        assert.ok(declared.has(item.command), `${menu}: ${item.command} is not declared`);
        for (const m of (item.when ?? '').matchAll(/config\.([\w.]+)/g))
          assert.ok(settings.has(m[1] ?? ''), `${menu}: unknown setting ${m[1]}`);
      }
  });

  it('reads only declared bootcLab.vm settings', () => {
    const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
    const reads = [...clientSource.matchAll(/getConfiguration\('bootcLab\.vm'[^)]*\)[\s\S]*?(?=\n\n|\n\})/g)].flatMap((m) =>
      [...m[0].matchAll(/\.get<[^>]+>\('([\w.]+)'/g)].map((g) => `bootcLab.vm.${g[1] ?? ''}`),
    );
    assert.ok(reads.length > 5, `found only ${reads.length} reads: the pattern no longer matches the client code`);
    for (const r of reads) assert.ok(settings.has(r), `${r} is read but not declared in package.json`);
  });
});
