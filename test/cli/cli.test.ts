import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const CLI = path.join(__dirname, '../../dist/cli.js');

function run(args: string[], opts: { input?: string; cwd?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: opts.input,
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bootc-lab CLI', () => {
  let dir: string;
  let bad: string;
  let clean: string;
  let warnOnly: string;
  before(() => {
    // A directory name with spaces and shell metacharacters: nothing may go through a shell.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootc lab $(touch pwned) 'x' ;"));
    bad = path.join(dir, 'Containerfile');
    fs.writeFileSync(bad, 'FROM quay.io/fedora/fedora-bootc:42\nCOPY a.conf /usr/etc/a.conf\nEXPOSE 80\nRUN bootc container lint\n');
    clean = path.join(dir, 'clean.containerfile');
    fs.writeFileSync(clean, 'FROM quay.io/fedora/fedora-bootc:42\nRUN bootc container lint\n');
    warnOnly = path.join(dir, 'warn.containerfile');
    fs.writeFileSync(warnOnly, 'FROM quay.io/fedora/fedora-bootc:42\nEXPOSE 80\nRUN bootc container lint\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a large file (syntax validated in a worker thread) gets the same syntax findings as a small one', () => {
    // Over 100 kB the CLI validates the syntax in a worker; the findings must not change.
    const tail = 'COPY only-one-argument\nWORKDIR relative/dir\n';
    const big = path.join(dir, 'big.containerfile');
    fs.writeFileSync(big, 'FROM quay.io/fedora/fedora-bootc:42\n' + 'RUN echo filler-line-for-size\n'.repeat(5000) + tail);
    const small = path.join(dir, 'small.containerfile');
    fs.writeFileSync(small, 'FROM quay.io/fedora/fedora-bootc:42\n' + tail);
    const pick = (file: string): string[] =>
      (JSON.parse(run(['lint', '--format', 'json', file]).stdout) as { rule: string; source: string; line: number; message: string }[])
        .filter((f) => f.source === 'dockerfile')
        .map((f) => `${f.rule} ${f.line - (file === big ? 5000 : 0)} ${f.message}`);
    assert.ok(fs.statSync(big).size > 100_000);
    const a = pick(big);
    assert.deepEqual(a, pick(small));
    assert.ok(
      a.some((x) => x.startsWith('dockerfile-argument-count 2 ')),
      a.join('\n'),
    );
    assert.ok(
      a.some((x) => x.startsWith('dockerfile-relative-workdir 3 ')),
      a.join('\n'),
    );
  });

  it('prints text findings and exits 1 on an error-severity finding', () => {
    const r = run(['lint', bad]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Containerfile:2:13: error \[usr-etc\]/);
    assert.match(r.stdout, /Containerfile:3:1: warning \[ignored-instruction\]/);
    assert.match(r.stdout, /2 problems \(1 error, 1 warning, 0 info\)/);
    assert.ok(!fs.existsSync(path.join(process.cwd(), 'pwned')) && !fs.existsSync(path.join(dir, 'pwned')));
  });

  it('exits 0 for warnings only and for clean files', () => {
    assert.equal(run(['lint', warnOnly]).code, 0);
    const r = run(['lint', clean]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /No problems/);
  });

  it('prints the documented JSON shape', () => {
    const r = run(['lint', '--format', 'json', bad]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(j[0], {
      file: bad,
      line: 2,
      column: 13,
      endLine: 2,
      endColumn: 28,
      rule: 'usr-etc',
      severity: 'error',
      message: "/usr/etc/a.conf is under /usr/etc, which bootc reserves for ostree's copy of /etc: write to /etc instead.",
      source: 'containerfile',
    });
    for (const f of j)
      assert.deepEqual(Object.keys(f).sort(), ['column', 'endColumn', 'endLine', 'file', 'line', 'message', 'rule', 'severity', 'source']);
  });

  it('prints SARIF 2.1.0 with rules, levels and relative locations', () => {
    const r = run(['lint', '--format', 'sarif', 'Containerfile'], { cwd: dir });
    const s = JSON.parse(r.stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string; helpUri: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[];
        }[];
      }[];
    };
    assert.equal(s.version, '2.1.0');
    const run0 = s.runs[0];
    assert.ok(run0);
    assert.equal(run0.tool.driver.name, 'bootc-lab');
    assert.deepEqual(
      run0.results.map((x) => [x.ruleId, x.level, run0.tool.driver.rules[x.ruleIndex]?.id]),
      [
        ['usr-etc', 'error', 'usr-etc'],
        ['ignored-instruction', 'warning', 'ignored-instruction'],
      ],
    );
    assert.deepEqual(run0.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri, 'Containerfile');
    assert.deepEqual(run0.results[0]?.locations[0]?.physicalLocation.region, { startLine: 2, startColumn: 13, endLine: 2, endColumn: 28 });
    assert.match(run0.tool.driver.rules[0]?.helpUri ?? '', /^https:\/\/.*\.md$/);
  });

  it('reads standard input with -', () => {
    const r = run(['lint', '--format', 'json', '-'], {
      input: 'FROM quay.io/fedora/fedora-bootc:42\nUSER app\nRUN bootc container lint\n',
    });
    assert.equal(r.code, 1);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { file: string; rule: string }[]).map((f) => [f.file, f.rule]),
      [['<stdin>', 'non-root-user']],
    );
  });

  it('honours --ignore, --config and suppression comments', () => {
    assert.equal(run(['lint', '--ignore', 'usr-etc', bad]).code, 0);
    const cfg = path.join(dir, 'strict.yaml');
    fs.writeFileSync(cfg, 'rules:\n  ignored-instruction: error\n');
    assert.equal(run(['lint', '--config', cfg, warnOnly]).code, 1);
    const sup = path.join(dir, 'sup.containerfile');
    fs.writeFileSync(
      sup,
      'FROM quay.io/fedora/fedora-bootc:42\n# bootc-lint ignore=usr-etc\nCOPY a.conf /usr/etc/a.conf\nRUN bootc container lint\n',
    );
    assert.equal(run(['lint', sup]).code, 0);
  });

  it('reads the nearest .bootc-lint.yaml', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'proj-'));
    fs.writeFileSync(path.join(sub, '.bootc-lint.yaml'), 'rules:\n  usr-etc: warning\n');
    fs.copyFileSync(bad, path.join(sub, 'Containerfile'));
    assert.equal(run(['lint', path.join(sub, 'Containerfile')]).code, 0);
  });

  it('exits 2 with a clear message on usage and read errors', () => {
    const missing = run(['lint', path.join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope: no such file/);
    const isDir = run(['lint', dir]);
    assert.equal(isDir.code, 2);
    assert.match(isDir.stderr, /is a directory/);
    const fmt = run(['lint', '--format', 'xml', bad]);
    assert.equal(fmt.code, 2);
    assert.match(fmt.stderr, /unknown --format xml/);
    const rule = run(['lint', '--ignore', 'no-such-rule', bad]);
    assert.equal(rule.code, 2);
    assert.match(rule.stderr, /no such rule/);
    assert.equal(run(['lint']).code, 2);
    assert.equal(run(['frobnicate']).code, 2);
    assert.equal(run(['lint', '--bogus', bad]).code, 2);
    const cfg = path.join(dir, 'broken.yaml');
    fs.writeFileSync(cfg, 'rules: [\n');
    const c = run(['lint', '--config', cfg, bad]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /not valid YAML/);
  });

  it('lists every rule with its docs page', () => {
    const r = run(['rules', '--format', 'json']);
    assert.equal(r.code, 0);
    const rules = JSON.parse(r.stdout) as { id: string; severity: string; description: string; docs: string }[];
    assert.ok(rules.length >= 31);
    for (const x of rules) assert.ok(fs.existsSync(path.join(__dirname, '../..', x.docs)), x.docs);
    assert.match(run(['rules']).stdout, /^api-directory-removed\s+error\s+/m);
  });

  it('works as documented through npm run', () => {
    const r = spawnSync('npm', ['run', '--silent', 'bootc-lab', '--', 'lint', '--format', 'json', bad], {
      encoding: 'utf8',
      cwd: path.join(__dirname, '../..'),
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 2);
  });
});
