import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import Module from 'node:module';

const CLI = path.join(__dirname, '../../dist/cli.js');
const MAIN = path.join(__dirname, '../../dist/cli-main.js');

function lint(cacheHome: string, file: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'lint', file], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cacheFiles(cacheHome: string): string[] {
  const dir = path.join(cacheHome, 'bootc-lab');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('cli-v8-')) : [];
}

describe('CLI launcher: V8 code cache', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab launcher '));
    file = path.join(dir, 'Containerfile');
    fs.writeFileSync(file, 'FROM quay.io/fedora/fedora-bootc:42\nCOPY a.conf /usr/etc/a.conf\nRUN bootc container lint\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the cache once, V8 accepts it on the next run, and the output does not change', () => {
    const home = path.join(dir, 'cache');
    const first = lint(home, file);
    assert.equal(first.code, 1, first.stderr);
    const [name, ...more] = cacheFiles(home);
    assert.ok(name, 'no code cache written');
    assert.equal(more.length, 0);
    const cachePath = path.join(home, 'bootc-lab', name);
    const written = fs.statSync(cachePath).mtimeMs;
    const second = lint(home, file);
    assert.deepEqual(second, first);
    // Not rewritten: the second run accepted it (a rejected cache is written again at exit).
    assert.equal(fs.statSync(cachePath).mtimeMs, written);
    // And V8 accepts it under the flags the launcher sets, as the launcher sees it.
    v8.setFlagsFromString('--liftoff-only');
    let source = fs.readFileSync(MAIN, 'utf8');
    if (source.startsWith('#!')) source = `//${source.slice(2)}`;
    const script = new vm.Script(Module.wrap(source), { filename: MAIN, cachedData: fs.readFileSync(cachePath) });
    assert.equal(script.cachedDataRejected, false);
  });

  it('replaces a corrupt cache and still lints', () => {
    const home = path.join(dir, 'corrupt');
    lint(home, file);
    const [name] = cacheFiles(home);
    assert.ok(name);
    fs.writeFileSync(path.join(home, 'bootc-lab', name), 'garbage');
    const r = lint(home, file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /usr-etc/);
    assert.ok(fs.statSync(path.join(home, 'bootc-lab', name)).size > 1000, 'the corrupt cache was not replaced');
  });

  it('runs without a cache when the cache directory cannot be created', () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    const r = lint(blocker, file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /usr-etc/);
    assert.equal(r.stderr, '');
  });
});
