import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The engine's module graph, read from the import statements themselves (type-only imports
 * included: they tie modules together for a reader as much as value imports do).
 */
const root = path.join(__dirname, '../../core/src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sources(root)) {
    const text = fs.readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)) {
      const dep = resolve(file, m[1] ?? m[2] ?? '');
      if (dep) deps.push(dep);
    }
    g.set(file, deps);
  }
  return g;
}

const rel = (f: string): string => path.relative(root, f);

describe('core module layering', () => {
  const g = graph();

  it('reads the graph', () => assert.ok(g.size > 50));

  it('has no import cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const d of g.get(f) ?? []) visit(d, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of g.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it('lint/ does not import rules/ (rules build on lint/, not the other way round)', () => {
    const upward = [...g].flatMap(([f, deps]) =>
      rel(f).startsWith('lint/') ? deps.filter((d) => rel(d).startsWith('rules/')).map((d) => `${rel(f)} -> ${rel(d)}`) : [],
    );
    assert.deepEqual(upward, []);
  });

  it('model/ and shell/ import nothing from lint/, rules/ or features/', () => {
    const bad = [...g].flatMap(([f, deps]) =>
      /^(model|shell)\//.test(rel(f))
        ? deps.filter((d) => /^(lint|rules|features)\//.test(rel(d))).map((d) => `${rel(f)} -> ${rel(d)}`)
        : [],
    );
    assert.deepEqual(bad, []);
  });
});
