import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEMPLATES } from '../../core/src/templates';

const CLI = path.join(__dirname, '../../dist/cli.js');
const SOURCE = path.join(__dirname, '../../templates');

function run(args: string[], cwd?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bootc-lab init and the templates', () => {
  let dir: string;
  before(() => {
    // Spaces and shell metacharacters in the target: nothing may go through a shell.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootc-lab-test-tmpl $(touch pwned) 'x' ;"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the templates', () => {
    const r = run(['init', '--list']);
    assert.equal(r.code, 0, r.stderr);
    for (const t of ['debian-kvm-host', 'debian-minimal', 'ubuntu-minimal']) assert.match(r.stdout, new RegExp(`^  ${t}\\s`, 'm'));
  });

  for (const t of TEMPLATES) {
    it(`writes ${t.name} byte for byte with its build-context files, and it lints with nothing above info`, () => {
      const dest = path.join(dir, t.name, 'new dir');
      const r = run(['init', '--template', t.name, dest]);
      assert.equal(r.code, 0, r.stderr);
      const expected = fs.readdirSync(path.join(SOURCE, t.name)).sort();
      assert.deepEqual(fs.readdirSync(dest).sort(), expected);
      assert.ok(expected.includes('Containerfile') && expected.includes('README.md'));
      for (const f of expected) {
        const src = path.join(SOURCE, t.name, f);
        assert.ok(fs.readFileSync(path.join(dest, f)).equals(fs.readFileSync(src)), f);
        assert.equal(fs.statSync(path.join(dest, f)).mode & 0o777, fs.statSync(src).mode & 0o777, `${f} keeps its mode`);
      }
      // Every file the Containerfile COPYs from the build context is there.
      const text = fs.readFileSync(path.join(dest, 'Containerfile'), 'utf8');
      for (const m of text.matchAll(/^COPY (?!--from)(\S+) /gm)) assert.ok(fs.existsSync(path.join(dest, m[1] ?? '')), `${m[1]} missing`);
      const lint = run(['lint', '--format', 'json', path.join(dest, 'Containerfile')]);
      assert.equal(lint.code, 0, lint.stderr);
      const findings = JSON.parse(lint.stdout) as { severity: string; rule: string; message: string }[];
      assert.deepEqual(
        findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}: ${f.message}`),
        [],
      );
      assert.ok(!fs.existsSync(path.join(dir, 'pwned')));
    });
  }

  it('refuses to overwrite before writing anything, and --force overwrites', () => {
    const dest = path.join(dir, 'existing');
    fs.mkdirSync(dest);
    fs.writeFileSync(path.join(dest, 'README.md'), 'mine\n');
    const r = run(['init', '--template', 'debian-minimal', dest]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /README\.md already exists \(use --force/);
    assert.deepEqual(fs.readdirSync(dest), ['README.md']);
    assert.equal(fs.readFileSync(path.join(dest, 'README.md'), 'utf8'), 'mine\n');
    const f = run(['init', '--template', 'debian-minimal', '--force', dest]);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(fs.existsSync(path.join(dest, 'Containerfile')));
    assert.notEqual(fs.readFileSync(path.join(dest, 'README.md'), 'utf8'), 'mine\n');
  });

  it('writes into the current directory by default', () => {
    const cwd = path.join(dir, 'cwd');
    fs.mkdirSync(cwd);
    const r = run(['init', '--template', 'ubuntu-minimal'], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Containerfile$/m);
    assert.ok(fs.existsSync(path.join(cwd, 'Containerfile')));
  });

  it('rejects an unknown template and a missing --template with usage errors', () => {
    const u = run(['init', '--template', 'fedora-nope', dir]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /no template named fedora-nope \(templates: debian-kvm-host, debian-minimal, ubuntu-minimal\)/);
    const m = run(['init', dir]);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /init needs --template NAME/);
  });
});
