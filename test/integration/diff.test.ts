import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel, initShellParser, type ContainerfileModel } from '../../core/src';
import { diffImages, type ImageDiff } from '../../core/src/image/diff';
import { runBuild } from '../../core/src/podman/run-build';
import { BUSYBOX_BASE, ISOLATION, ensureBusyboxBase, requirePodman } from './base-images';
import { DEBIAN_BASE, ensureDebianBase } from './debian-base';

const FIX = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '../../dist/cli.js');
const V1 = 'localhost/bootc-lab-test-diff-v1:1';
const V2 = 'localhost/bootc-lab-test-diff-v2:1';
const V2_FILE = path.join(FIX, 'diff-v2', 'Containerfile');

async function build(name: string, tag: string): Promise<ContainerfileModel> {
  const file = path.join(FIX, name, 'Containerfile');
  const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const res = await runBuild({ file, context: path.dirname(file), tag, isolation: ISOLATION, model });
  assert.ok(res.ok, `build of ${name} failed: ${res.failure?.tail}`);
  return model;
}

/** Image IDs podman has mounted right now (`podman image mount` without arguments lists them). */
function mountedImages(): string {
  return spawnSync('podman', ['image', 'mount'], { encoding: 'utf8' }).stdout;
}

const idOf = (image: string): string =>
  spawnSync('podman', ['image', 'inspect', '--format', '{{.Id}}', image], { encoding: 'utf8' }).stdout.trim();

const entry = (d: ImageDiff, p: string): string | undefined => {
  const c = d.files.find((f) => f.path === p);
  return c && `${c.kind}${c.differences ? ` ${c.differences.join(',')}` : ''}`;
};

describe('real podman: bootc-lab diff of two builds on the Debian test base', { timeout: 900_000 }, () => {
  let model: ContainerfileModel;
  let d: ImageDiff;

  before(async () => {
    requirePodman();
    await initShellParser();
    ensureDebianBase((s) => process.stderr.write(`${s}\n`));
    await build('diff-v1', V1);
    model = await build('diff-v2', V2);
    d = await diffImages({ oldImage: V1, newImage: V2, file: V2_FILE, model });
  });

  it('lists the changed /usr, /etc and /var paths, comparing only what the shared base layers do not hold', () => {
    assert.equal(d.walk, 'layers');
    assert.equal(d.access, 'mount');
    assert.equal(entry(d, '/usr/bin/hello'), 'added');
    assert.equal(entry(d, '/usr/lib/bootc-lab-diff-data'), 'added');
    assert.equal(entry(d, '/usr/lib/os-release'), 'modified size');
    // Same size, and the same whole-second mtime in both layers: only reading it shows the change.
    assert.equal(entry(d, '/etc/bootc-lab-diff/app.conf'), 'modified content');
    assert.equal(entry(d, '/etc/motd'), 'removed');
    assert.equal(entry(d, '/var/lib/bootc-lab-diff/seed'), 'modified content');
    assert.equal(entry(d, '/var/lib/bootc-lab-diff/new/file'), 'added');
    assert.equal(entry(d, '/var/lib/bootc-lab-diff/kept'), undefined, 'the same in both');
    assert.ok(d.files.every((f) => f.path.startsWith('/')));
    assert.ok(d.summary.var.removed > 0, 'apt-get clean and the removed lists');
  });

  it('warns on every /var path and pins each to the instruction that wrote it', () => {
    const varPaths = d.files.filter((f) => f.group === 'var').map((f) => f.path);
    assert.deepEqual(
      d.varWarnings.map((w) => w.path),
      varPaths,
    );
    const at = (p: string): number | undefined => d.varWarnings.find((w) => w.path === p)?.line;
    assert.equal(at('/var/lib/bootc-lab-diff/seed'), 4);
    assert.equal(at('/var/lib/bootc-lab-diff/new/file'), 4);
    assert.equal(at('/var/lib/dpkg/status'), 7);
    const removed = d.varWarnings.filter((w) => w.kind === 'removed');
    assert.ok(removed.length > 0 && removed.every((w) => w.line === 7), 'removals pinned to the apt-get clean line');
    assert.match(
      d.varWarnings.find((w) => w.path === '/var/lib/bootc-lab-diff/seed')?.message ?? '',
      /existing machines keep their old copy/,
    );
  });

  it('reads the dpkg databases, the kernels and kargs.d', () => {
    assert.equal(d.packages.manager, 'dpkg');
    assert.deepEqual(
      d.packages.added.map((p) => p.name),
      ['hello'],
    );
    assert.deepEqual(d.packages.removed, []);
    assert.equal(d.packages.newCount, d.packages.oldCount + 1);
    assert.equal(d.kernel.old.length, 0);
    assert.equal(d.kernel.new.length, 1);
    assert.deepEqual(d.kargs.added, ['console=ttyS0', 'bootc_lab_diff=1']);
    assert.ok(d.new.size !== undefined && d.old.size !== undefined && d.new.size > d.old.size);
    assert.equal(mountedImages().includes(idOf(V1)) || mountedImages().includes(idOf(V2)), false, 'both images unmounted');
  });

  it('finds the same changes walking both whole trees, and none between an image and itself', async () => {
    const full = await diffImages({ oldImage: V1, newImage: V2, model, fullWalk: true });
    assert.equal(full.walk, 'full');
    // Without layers, equal size and mtime count as unchanged: app.conf (same size, same second) is the one miss.
    assert.deepEqual(
      full.files,
      d.files.filter((f) => f.path !== '/etc/bootc-lab-diff/app.conf'),
    );
    assert.ok(full.stats.newEntries > 10 * d.stats.newEntries, `full walk ${full.stats.newEntries} vs ${d.stats.newEntries} entries`);
    const same = await diffImages({ oldImage: DEBIAN_BASE, newImage: DEBIAN_BASE });
    assert.deepEqual(same.files, []);
    assert.equal(same.packages.added.length + same.packages.removed.length + same.packages.changed.length, 0);
    assert.equal(mountedImages().includes(idOf(DEBIAN_BASE)), false);
  });

  it('leaves nothing mounted when cancelled, whichever step the cancel hits', async () => {
    let cancelled = 0;
    // Cancel points are fractions of this machine's own uncancelled run (a fixed 150 ms outlived a whole diff on a
    // fast CI machine); 0 ms cancels while the first podman inspect still runs, so at least that one must cancel.
    const total = d.timings.totalMs;
    for (const ms of [0, Math.round(total * 0.2), Math.round(total * 0.5), Math.round(total * 0.8)]) {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), ms);
      try {
        await diffImages({ oldImage: V1, newImage: V2, signal: ac.signal });
      } catch (e) {
        assert.ok(ac.signal.aborted, `failed without a cancel: ${(e as Error).message}`);
        cancelled++;
      } finally {
        clearTimeout(t);
      }
      assert.equal(mountedImages().includes(idOf(V1)) || mountedImages().includes(idOf(V2)), false, `mounted after a cancel at ${ms} ms`);
    }
    assert.ok(cancelled > 0, 'at least one run was cancelled before it finished');
  });

  it('bootc-lab diff prints the warnings on the Containerfile lines and the documented JSON', () => {
    const text = spawnSync(process.execPath, [CLI, 'diff', V1, V2, '--file', V2_FILE], { encoding: 'utf8' });
    assert.equal(text.status, 0, text.stderr);
    assert.ok(text.stdout.includes(`${V2_FILE}:4:1: warning [var-not-updated] /var/lib/bootc-lab-diff/seed changed in /var`), text.stdout);
    assert.match(text.stdout, /^Packages \(dpkg, \d+ → \d+\): 1 added, 0 removed/m);
    assert.match(text.stdout, /^ {2}\+ hello \S+ \(amd64\)$/m);
    assert.match(text.stdout, /^\/etc: merged on upgrade.*: 0 added, 1 removed, 1 modified$/m);
    const json = spawnSync(process.execPath, [CLI, 'diff', V1, V2, '--format', 'json'], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as ImageDiff;
    assert.ok(parsed.files.some((f) => f.path === '/etc/bootc-lab-diff/app.conf'));
    assert.ok(
      parsed.varWarnings.every((w) => w.line === undefined),
      'no lines without --file',
    );
    const bad = spawnSync(process.execPath, [CLI, 'diff', V1], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    const missing = spawnSync(process.execPath, [CLI, 'diff', V1, 'localhost/bootc-lab-test-diff-missing:0'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /bootc-lab: /);
  });
});

/** A real sqlite rpm database holding one package, made with the host's rpmbuild and rpm. */
function makeRpmDb(dir: string): string {
  for (const c of ['rpm', 'rpmbuild'])
    if (spawnSync(c, ['--version']).status !== 0) throw new Error(`${c} is required for the rpm database test (apt-get install rpm)`);
  const top = path.join(dir, 'top');
  fs.mkdirSync(path.join(top, 'SPECS'), { recursive: true });
  const spec = path.join(top, 'SPECS', 'demo.spec');
  fs.writeFileSync(
    spec,
    'Name: bootc-lab-demo\nVersion: 1.2\nRelease: 3\nEpoch: 2\nSummary: demo\nLicense: MIT\nBuildArch: noarch\n%description\ndemo\n%files\n',
  );
  const sh = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  sh('rpmbuild', ['--define', `_topdir ${top}`, '-bb', spec]);
  const db = path.join(dir, 'db');
  sh('rpm', ['--dbpath', db, '--initdb']);
  sh('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', path.join(top, 'RPMS/noarch/bootc-lab-demo-1.2-3.noarch.rpm')]);
  const ctx = path.join(dir, 'ctx');
  fs.mkdirSync(path.join(ctx, 'rpm'), { recursive: true });
  fs.copyFileSync(path.join(db, 'rpmdb.sqlite'), path.join(ctx, 'rpm', 'rpmdb.sqlite'));
  fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM ${BUSYBOX_BASE}\nCOPY rpm/ /usr/lib/sysimage/rpm/\n`);
  return ctx;
}

describe('real podman and rpm: the rpm database of an image', { timeout: 300_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-test-diff-rpm-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the sqlite rpmdb from the read-only image mount with the host rpm', async () => {
    requirePodman();
    ensureBusyboxBase();
    const ctx = makeRpmDb(dir);
    const tag = 'localhost/bootc-lab-test-diff-rpm:1';
    const file = path.join(ctx, 'Containerfile');
    const res = await runBuild({ file, context: ctx, tag, isolation: ISOLATION });
    assert.ok(res.ok, `build failed: ${res.failure?.tail}`);
    const d = await diffImages({ oldImage: BUSYBOX_BASE, newImage: tag });
    assert.equal(d.packages.error, undefined);
    assert.equal(d.packages.manager, 'rpm');
    assert.deepEqual(d.packages.added, [{ name: 'bootc-lab-demo', version: '2:1.2-3', arch: 'noarch' }]);
    assert.equal(d.packages.oldCount, 0);
    assert.ok(d.files.some((f) => f.path === '/usr/lib/sysimage/rpm/rpmdb.sqlite' && f.kind === 'added'));
  });
});
