import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  ConfigError,
  complete,
  documentSymbols,
  findConfigFile,
  hover,
  ignoreForFile,
  ignoreForInstruction,
  lintText,
  parseConfig,
} from '../../core/src';
import { applyEdits, lint } from '../helpers';

describe('suppression comments', () => {
  it('ignores a rule for the next instruction only', async () => {
    const text =
      'FROM quay.io/fedora/fedora-bootc:42\n# bootc-lint ignore=var-content\n# why: seeded on purpose\nRUN mkdir /var/a\nRUN mkdir /var/b\n';
    const f = (await lint(text)).filter((x) => x.rule === 'var-content');
    assert.deepEqual(
      f.map((x) => x.range.start.line),
      [4],
    );
  });
  it('ignores rules for the whole file', async () => {
    const text = '# bootc-lint global ignore=var-content,missing-container-lint\nFROM quay.io/fedora/fedora-bootc:42\nRUN mkdir /var/a\n';
    assert.deepEqual(await lint(text), []);
  });
  it('quick-fix edits write pragmas that the engine honours', async () => {
    const text = '# syntax=docker/dockerfile:1\nFROM quay.io/fedora/fedora-bootc:42\nRUN mkdir /var/a\nRUN bootc container lint\n';
    const r = await lintText(text, 'file:///x/Containerfile', { config: { detect: 'auto', syntax: false, rules: {}, ignore: [] } });
    const one = ignoreForInstruction(r.model, 2, 'var-content');
    assert.ok(one);
    const t1 = applyEdits(text, [one]);
    assert.match(t1, /# bootc-lint ignore=var-content\nRUN mkdir/);
    assert.equal((await lint(t1)).filter((f) => f.rule === 'var-content').length, 0);
    // A second rule extends the same comment.
    const r1 = await lintText(t1, 'file:///x/Containerfile');
    const two = ignoreForInstruction(r1.model, 3, 'toplevel-directory');
    assert.ok(two);
    assert.match(applyEdits(t1, [two]), /# bootc-lint ignore=var-content,toplevel-directory\n/);
    const file = applyEdits(text, [ignoreForFile(r.model, 'var-content')]);
    assert.ok(file.startsWith('# syntax=docker/dockerfile:1\n# bootc-lint global ignore=var-content\n'), 'after the parser directives');
    assert.equal((await lint(file)).filter((f) => f.rule === 'var-content').length, 0);
  });
});

describe('configuration', () => {
  it('applies severities, off and ignore', async () => {
    const text = 'FROM quay.io/fedora/fedora-bootc:42\nRUN mkdir /var/a /app\n';
    const f = await lint(text, {
      config: { rules: { 'var-content': 'error', 'toplevel-directory': 'off' }, ignore: ['missing-container-lint'] },
    });
    assert.deepEqual(
      f.map((x) => `${x.rule}:${x.severity}`),
      ['var-content:error'],
    );
  });
  it('parses .bootc-lint.yaml and rejects mistakes clearly', () => {
    assert.deepEqual(parseConfig('detect: always\nrules:\n  var-content: off\nignore: [kernel-missing]\n'), {
      detect: 'always',
      rules: { 'var-content': 'off' },
      ignore: ['kernel-missing'],
    });
    assert.throws(() => parseConfig('rule:\n  x: off\n'), /unknown key "rule"/);
    assert.throws(() => parseConfig('rules:\n  x: loud\n'), /rules.x must be/);
    assert.throws(() => parseConfig('rules: [\n'), ConfigError);
  });
  it('finds the nearest config file upwards', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-cfg-'));
    try {
      fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
      fs.writeFileSync(path.join(dir, '.bootc-lint.yaml'), 'detect: always\n');
      assert.equal(findConfigFile(path.join(dir, 'a', 'b')), path.join(dir, '.bootc-lint.yaml'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('leaves application Dockerfiles alone in auto mode', async () => {
    const r = await lintText('FROM node:20\nRUN mkdir /var/app\nEXPOSE 3000\n', 'file:///x/Dockerfile');
    assert.equal(r.bootc, false);
    assert.deepEqual(r.findings, []);
  });
  it('reports dockerfile-utils syntax under stable ids without stopping bootc rules', async () => {
    const text = 'FROM quay.io/fedora/fedora-bootc:42\nFOO bar\nRUN mkdir /var/a\n';
    const f = await lint(text, { config: { syntax: true } });
    assert.ok(f.some((x) => x.rule === 'dockerfile-unknown-instruction' && x.source === 'dockerfile' && x.range.start.line === 1));
    assert.ok(f.some((x) => x.rule === 'var-content'));
  });
});

describe('hover, completion, symbols', () => {
  it('explains findings, paths and base images', async () => {
    const text =
      'FROM quay.io/fedora/fedora-bootc:42\nRUN mkdir /var/lib/x && cp a /etc/a.conf && echo > /root/x\nRUN bootc container lint\n';
    const r = await lintText(text, 'file:///x/Containerfile');
    const onVar = hover(r.model, r.findings, { line: 1, character: 12 });
    assert.match(JSON.stringify(onVar), /var-content.*seeded|first install/);
    const onEtc = hover(r.model, r.findings, { line: 1, character: 32 });
    assert.match(JSON.stringify(onEtc), /merged configuration/);
    const onRoot = hover(r.model, r.findings, { line: 1, character: 55 });
    assert.match(JSON.stringify(onRoot), /\/root → \/var\/roothome/);
    const onFrom = hover(r.model, r.findings, { line: 0, character: 10 });
    assert.match(JSON.stringify(onFrom), /Fedora bootc.*bootc base/);
  });
  it('completes bootc bases, lint flags and rule ids', async () => {
    const r = await lintText('FROM quay.io/fed\nRUN bootc container lint \n# bootc-lint ignore=var\n', 'file:///x/Containerfile');
    assert.ok(complete(r.model, { line: 0, character: 16 }).some((c) => c.label === 'quay.io/fedora/fedora-bootc:42'));
    assert.ok(complete(r.model, { line: 1, character: 25 }).some((c) => c.label === '--fatal-warnings'));
    assert.ok(complete(r.model, { line: 2, character: 23 }).some((c) => c.label === 'var-content'));
    assert.deepEqual(complete(r.model, { line: 1, character: 3 }), []);
  });
  it('outlines stages with their instructions', async () => {
    const r = await lintText(
      'FROM docker.io/library/golang:1 AS build\nRUN go build\nFROM quay.io/fedora/fedora-bootc:42\nCOPY --from=build /x /usr/bin/x\n',
      'file:///x/C',
    );
    const s = documentSymbols(r.model);
    assert.deepEqual(
      s.map((x) => [x.name, x.detail, x.children?.map((c) => c.name)]),
      [
        ['build (docker.io/library/golang:1)', 'build stage', ['FROM', 'RUN']],
        ['stage 1 (quay.io/fedora/fedora-bootc:42)', 'final stage', ['FROM', 'COPY']],
      ],
    );
  });
});

describe('snippets', () => {
  const snippets = JSON.parse(fs.readFileSync(path.join(__dirname, '../../snippets/bootc.code-snippets'), 'utf8')) as Record<
    string,
    { body: string[] }
  >;
  /** Expands a VS Code snippet body with its default values. */
  function expand(body: string[]): string {
    const defaults = new Map<string, string>();
    let text = body.join('\n');
    text = text.replace(/\$\{(\d+)\|([^|]*)\|\}/g, (_m, n: string, choices: string) => {
      const v = choices.split(',')[0] ?? '';
      defaults.set(n, v);
      return v;
    });
    for (let i = 0; i < 5; i++) {
      text = text.replace(/\$\{(\d+):([^${}]*)\}/g, (_m, n: string, v: string) => {
        if (!defaults.has(n)) defaults.set(n, v);
        return defaults.get(n) ?? v;
      });
    }
    text = text.replace(/\$\{(\d+)\}|\$(\d+)/g, (_m, a: string | undefined, b: string | undefined) => defaults.get(a ?? b ?? '') ?? '');
    return text.replace(/\\\$/g, '$');
  }
  for (const [name, s] of Object.entries(snippets)) {
    it(`"${name}" lints clean`, async () => {
      let text = expand(s.body);
      if (!/^(FROM|ARG) /.test(text)) text = `FROM quay.io/fedora/fedora-bootc:42\n${text}\nRUN bootc container lint`;
      const context = { 'myapp.service': '[Service]\nExecStart=/usr/bin/true\n' };
      const f = await lint(text + '\n', { config: { syntax: true }, context });
      assert.deepEqual(
        f.map((x) => `${x.rule}: ${x.message}`),
        [],
        text,
      );
    });
  }
});

describe('generated files', () => {
  it('docs, README rule table and settings schema are up to date (npm run gen)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../scripts/gen.ts'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('hostile input', () => {
  it('a file with 200,000 syntax errors reports them all instead of overflowing the stack', async () => {
    // Found by the 10,000-document fuzz run: push(...list) with this many findings threw RangeError.
    const text = 'FROM quay.io/fedora/fedora-bootc:42\n' + 'FOO bar\n'.repeat(200_000);
    const r = await lintText(text, 'file:///many-errors');
    assert.equal(r.findings.filter((f) => f.rule === 'dockerfile-unknown-instruction').length, 200_000);
  });
});
