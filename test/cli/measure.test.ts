import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDebianBase } from '../integration/debian-base';

const CLI = path.join(__dirname, '../../dist/cli.js');
const IMAGE = 'localhost/bootc-lab-test-measure-nobootc:1';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-measure-cli '));

describe('bootc-lab measure: install mode without bootc', () => {
  before(() => {
    // The Debian test base is bootable but ships no bootc: the case of every image on this machine.
    const base = ensureDebianBase();
    const t = spawnSync('podman', ['tag', base, IMAGE], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
  });
  after(() => {
    spawnSync('podman', ['untag', IMAGE, IMAGE]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says why it cannot run, boots nothing, and writes the (empty) measurement', () => {
    const out = path.join(dir, 'm.json');
    const r = spawnSync(
      process.execPath,
      [CLI, 'measure', IMAGE, '--modes', 'install', '--runs', '2', '--accel', 'tcg', '--cache-dir', path.join(dir, 'cache'), '--out', out],
      { encoding: 'utf8', timeout: 180_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /\(install\): not measured: the image has no \/usr\/bin\/bootc/);
    assert.doesNotMatch(r.stderr, /Boot 1\/|qemu-system/);
    const m = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      variants: { mode: string; skipped?: string; runs: unknown[] }[];
      warnings: string[];
    };
    assert.equal(m.variants[0]?.mode, 'install');
    assert.equal(m.variants[0]?.runs.length, 0);
    assert.match(m.variants[0]?.skipped ?? '', /bootc install to-disk/);
    assert.ok(m.warnings.some((w) => /not measured/.test(w)));
    assert.match(r.stdout, /not measured: the image has no/);
  });
});
