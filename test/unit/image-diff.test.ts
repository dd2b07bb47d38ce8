import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { kargsIn, kernelsIn, layerOfRemoval, summarize, type ImageDiff } from '../../core/src/image/diff';
import { formatDiffText } from '../../core/src/image/diff-text';
import { collectLayer } from '../../core/src/image/layer-touch';
import { compareVersions, diffPackages, parseDpkgStatus, parsePacmanDesc, readPackages } from '../../core/src/image/packages';
import { compareTrees, groupOf } from '../../core/src/image/tree-diff';
import { treeWriter } from '../tree';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-diff unit '));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = path.join(tmp, `t${n++}`);
  fs.mkdirSync(d);
  return d;
};
const T0 = new Date('2025-01-01T00:00:00Z');

/** Two trees that agree on everything (including mtimes) except what a test changes afterwards. */
function pair(files: Record<string, string>): {
  a: string;
  b: string;
  wa: (r: string, c?: string) => void;
  wb: (r: string, c?: string) => void;
} {
  const a = fresh();
  const b = fresh();
  for (const root of [a, b]) {
    const w = treeWriter(root);
    for (const [rel, content] of Object.entries(files)) {
      w(rel, content);
      fs.utimesSync(path.join(root, rel), T0, T0);
    }
  }
  return { a, b, wa: treeWriter(a), wb: treeWriter(b) };
}

const kinds = (changes: { path: string; kind: string }[]): string[] => changes.map((c) => `${c.kind} ${c.path}`);

describe('tree comparison', () => {
  it('finds added, removed and modified paths by metadata, grouped by where they land', async () => {
    const { a, b, wa, wb } = pair({ 'usr/bin/tool': 'v1', 'etc/app.conf': 'x=1', 'var/lib/app/seed': 'seed', 'opt/x': 'same' });
    wb('usr/bin/new', 'new');
    wa('etc/old.conf', 'gone');
    wb('var/lib/app/seed', 'seed-v2');
    fs.chmodSync(path.join(b, 'usr/bin/tool'), 0o755);
    fs.chmodSync(path.join(a, 'usr/bin/tool'), 0o644);
    fs.symlinkSync('tool', path.join(a, 'usr/bin/link'));
    fs.symlinkSync('new', path.join(b, 'usr/bin/link'));
    const { changes } = await compareTrees(a, b);
    assert.deepEqual(kinds(changes), [
      'removed /etc/old.conf',
      'modified /usr/bin/link',
      'added /usr/bin/new',
      'modified /usr/bin/tool',
      'modified /var/lib/app/seed',
    ]);
    const byPath = new Map(changes.map((c) => [c.path, c]));
    assert.deepEqual(byPath.get('/usr/bin/tool')?.differences, ['mode']);
    assert.deepEqual(byPath.get('/usr/bin/link')?.differences, ['target']);
    assert.equal(byPath.get('/usr/bin/link')?.target, 'new');
    assert.deepEqual(byPath.get('/var/lib/app/seed')?.differences, ['size']);
    assert.equal(byPath.get('/var/lib/app/seed')?.group, 'var');
    assert.equal(byPath.get('/etc/old.conf')?.group, 'etc');
    assert.deepEqual(summarize(changes).usr, { added: 1, removed: 0, modified: 2 });
  });

  it('reads contents only where size agrees and mtime differs, or when asked', async () => {
    const { a, b, wb } = pair({ 'etc/same-size': 'aaaa', 'etc/touched': 'bbbb', 'etc/equal': 'cccc' });
    wb('etc/same-size', 'AAAA');
    fs.utimesSync(path.join(b, 'etc/same-size'), T0, new Date('2025-02-01T00:00:00Z'));
    fs.utimesSync(path.join(b, 'etc/touched'), T0, new Date('2025-02-01T00:00:00Z'));
    const r = await compareTrees(a, b);
    assert.deepEqual(kinds(r.changes), ['modified /etc/same-size']);
    assert.deepEqual(r.changes[0]?.differences, ['content']);
    assert.equal(r.stats.filesRead, 2, 'the two files whose mtime differs, not the untouched one');

    // Same size and same mtime: metadata cannot tell, so only --content finds it.
    const q = pair({ 'usr/lib/data': 'v1' });
    q.wb('usr/lib/data', 'v2');
    fs.utimesSync(path.join(q.b, 'usr/lib/data'), T0, T0);
    assert.deepEqual(kinds((await compareTrees(q.a, q.b)).changes), []);
    assert.deepEqual(kinds((await compareTrees(q.a, q.b, { content: true })).changes), ['modified /usr/lib/data']);
    // …or knowing that a layer outside the shared ones touched it.
    const touched = new Set(['/usr', '/usr/lib', '/usr/lib/data']);
    assert.deepEqual(kinds((await compareTrees(q.a, q.b, { touched })).changes), ['modified /usr/lib/data']);
  });

  it('with the touched set, skips paths present on both sides that no other layer touched', async () => {
    const { a, b, wb } = pair({ 'usr/share/big/1': '1', 'usr/share/big/2': '2', 'etc/conf': 'c' });
    wb('usr/share/big/1', 'changed, but by no layer outside the shared ones (impossible in practice)');
    wb('etc/new', 'n');
    fs.rmSync(path.join(b, 'etc/conf'));
    const touched = new Set(['/etc', '/etc/new']);
    const r = await compareTrees(a, b, { touched });
    // /etc/conf is not in the set, but it is on one side only: still reported (an opaque directory does that).
    assert.deepEqual(kinds(r.changes), ['removed /etc/conf', 'added /etc/new']);
    assert.ok(r.stats.newEntries < 5, `walked ${r.stats.newEntries} entries, /usr should be skipped`);
  });

  it('lists the whole subtree of a directory that exists on one side or became a file', async () => {
    const { a, b, wa, wb } = pair({});
    wa('var/lib/old/a/b', 'x');
    wb('var/lib/new/c', 'y');
    wa('srv/data/inner', 'z');
    wb('srv/data', 'now a file');
    const { changes } = await compareTrees(a, b);
    assert.deepEqual(kinds(changes), [
      'modified /srv/data',
      'removed /srv/data/inner',
      'added /var/lib/new',
      'added /var/lib/new/c',
      'removed /var/lib/old',
      'removed /var/lib/old/a',
      'removed /var/lib/old/a/b',
    ]);
    assert.deepEqual(changes[0]?.differences, ['type']);
    assert.equal(groupOf('/boot/vmlinuz'), 'boot');
    assert.equal(groupOf('/usrlocal'), 'other');
  });

  it('stops when cancelled', async () => {
    const { a, b } = pair(Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`usr/f${i}`, 'x'])));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(compareTrees(a, b, { signal: ac.signal }), /Cancelled/);
  });
});

describe('layers', () => {
  it('collects the paths a layer writes and whites out, and finds the layer that removed a path', () => {
    const l0 = fresh();
    const l1 = fresh();
    treeWriter(l0)('var/cache/apt/a.deb', 'x');
    treeWriter(l1)('var/cache/apt/.wh.a.deb', '');
    treeWriter(l1)('usr/bin/hello', 'h');
    const t = new Set<string>();
    collectLayer(l1, t);
    assert.deepEqual([...t].sort(), ['/usr', '/usr/bin', '/usr/bin/hello', '/var', '/var/cache', '/var/cache/apt', '/var/cache/apt/a.deb']);
    assert.equal(layerOfRemoval([l0, l1], '/var/cache/apt/a.deb'), 1);
    assert.equal(layerOfRemoval([l0, l1], '/var/cache/apt/b.deb'), undefined);
    const l2 = fresh();
    treeWriter(l2)('var/.wh.cache', '');
    assert.equal(layerOfRemoval([l0, l1, l2], '/var/cache/apt/a.deb'), 2, 'a whited-out parent removes the file');
  });
});

const DPKG = `Package: hello
Status: install ok installed
Architecture: amd64
Version: 2.10-3
Description: example
 multi-line

Package: removed-but-config
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u13
`;

describe('package databases', () => {
  it('parses dpkg status and pacman desc', () => {
    assert.deepEqual(parseDpkgStatus(DPKG), [
      { name: 'hello', version: '2.10-3', arch: 'amd64' },
      { name: 'libc6', version: '2.36-9+deb12u13', arch: 'amd64' },
    ]);
    assert.deepEqual(parsePacmanDesc('%NAME%\nlinux\n\n%VERSION%\n6.9.1.arch1-1\n\n%ARCH%\nx86_64\n'), {
      name: 'linux',
      version: '6.9.1.arch1-1',
      arch: 'x86_64',
    });
    assert.equal(parsePacmanDesc('%NAME%\nx\n'), undefined);
  });

  it('orders versions like rpm and dpkg', () => {
    assert.equal(compareVersions('1.10', '1.9'), 1);
    assert.equal(compareVersions('1:1.0', '2.0'), 1);
    assert.equal(compareVersions('1.0~rc1', '1.0'), -1);
    assert.equal(compareVersions('2.36-9+deb12u13', '2.36-9+deb12u9'), 1);
    assert.equal(compareVersions('1.0a', '1.0'), 1);
    assert.equal(compareVersions('5.2', '5.2'), 0);
  });

  it('reads dpkg, pacman and rpm databases from a tree and diffs them', async () => {
    const deb = fresh();
    treeWriter(deb)('var/lib/dpkg/status', DPKG);
    const old = await readPackages(deb);
    assert.equal(old.manager, 'dpkg');
    const deb2 = fresh();
    treeWriter(deb2)(
      'usr/lib/sysimage/dpkg/status',
      DPKG.replace('2.36-9+deb12u13', '2.36-9+deb12u14').replace(/Package: hello[^]*?\n\n/, ''),
    );
    treeWriter(deb2)(
      'usr/lib/sysimage/dpkg/status',
      fs.readFileSync(path.join(deb2, 'usr/lib/sysimage/dpkg/status'), 'utf8') +
        '\nPackage: tree\nStatus: install ok installed\nVersion: 2.1\n',
    );
    const d = diffPackages(old, await readPackages(deb2));
    assert.deepEqual(
      d.added.map((p) => p.name),
      ['tree'],
    );
    assert.deepEqual(
      d.removed.map((p) => p.name),
      ['hello'],
    );
    assert.deepEqual(d.changed, [{ name: 'libc6', arch: 'amd64', from: '2.36-9+deb12u13', to: '2.36-9+deb12u14', direction: 'upgraded' }]);

    const arch = fresh();
    treeWriter(arch)('var/lib/pacman/local/bash-5.2-1/desc', '%NAME%\nbash\n\n%VERSION%\n5.2-1\n');
    treeWriter(arch)('var/lib/pacman/local/ALPM_DB_VERSION', '9\n');
    const p = await readPackages(arch);
    assert.equal(p.manager, 'pacman');
    assert.deepEqual(p.packages, [{ name: 'bash', version: '5.2-1', arch: undefined }]);

    const fedora = fresh();
    treeWriter(fedora)('usr/lib/sysimage/rpm/rpmdb.sqlite', 'SQLite format 3\0');
    const none = await readPackages(fedora, { rpmPath: path.join(tmp, 'no-such-rpm') });
    assert.equal(none.manager, 'rpm');
    assert.match(none.error ?? '', /rpm database at \/usr\/lib\/sysimage\/rpm cannot be read here: it needs the rpm program/);
    // The host's rpm gets the image's database by --dbpath; its query output is parsed.
    const fake = path.join(tmp, 'fake rpm');
    const argsFile = path.join(tmp, 'rpm-args');
    fs.writeFileSync(
      fake,
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nls "$2" >> '${argsFile}'\nprintf 'bash\\t0:5.2.26-4.fc41\\tx86_64\\nkernel\\t1:6.11-200\\tx86_64\\ngpg-pubkey\\t0:abc-def\\t(none)\\n'\n`,
    );
    fs.chmodSync(fake, 0o755);
    const rpm = await readPackages(fedora, { rpmPath: fake });
    assert.deepEqual(rpm.packages, [
      { name: 'bash', version: '5.2.26-4.fc41', arch: 'x86_64' },
      { name: 'kernel', version: '1:6.11-200', arch: 'x86_64' },
      { name: 'gpg-pubkey', version: 'abc-def', arch: undefined },
    ]);
    const args = fs.readFileSync(argsFile, 'utf8').split('\n');
    assert.equal(args[0], '--dbpath');
    // A copy of the database: sqlite cannot open one on a read-only image mount.
    assert.ok(args[1] && !args[1].startsWith(fedora), args[1]);
    assert.ok(args.includes('rpmdb.sqlite'), 'the copy holds the database');
    assert.equal(fs.existsSync(args[1]), false, 'the copy is removed');
    assert.equal((await readPackages(fresh())).manager, undefined);
  });
});

describe('kernel, kargs and the text report', () => {
  it('reads kernels and kargs.d, and prints every section', async () => {
    const a = fresh();
    const b = fresh();
    treeWriter(a)('usr/lib/modules/6.1.0-1-amd64/vmlinuz', 'k');
    treeWriter(b)('usr/lib/modules/6.1.0-2-amd64/vmlinuz', 'k');
    treeWriter(b)('usr/lib/modules/6.1.0-1-amd64/modules.dep', '');
    treeWriter(a)('usr/lib/bootc/kargs.d/10-console.toml', 'kargs = ["console=ttyS0"]\n');
    treeWriter(b)('usr/lib/bootc/kargs.d/10-console.toml', 'kargs = ["console=ttyS0", "quiet"]\n');
    treeWriter(b)('usr/lib/bootc/kargs.d/20-bad.toml', 'kargs = "x"\n');
    assert.deepEqual(kernelsIn(b), ['6.1.0-2-amd64']);
    assert.deepEqual(kargsIn(b).kargs, ['console=ttyS0', 'quiet']);
    assert.match(kargsIn(b).errors[0] ?? '', /20-bad\.toml: kargs is not a list of strings/);
    const { changes } = await compareTrees(a, b);
    const d: ImageDiff = {
      old: { image: 'localhost/app:1', id: 'sha256:' + 'a'.repeat(64), size: 100 * 1024 ** 2 },
      new: { image: 'localhost/app:2', id: 'b'.repeat(64), size: 110 * 1024 ** 2 },
      file: 'Containerfile',
      files: changes,
      summary: summarize(changes),
      varWarnings: [
        {
          path: '/var/lib/app/seed',
          kind: 'modified',
          message: '/var/lib/app/seed changed in /var',
          line: 4,
          column: 1,
          attributedTo: 'instruction',
        },
      ],
      packages: {
        manager: 'dpkg',
        added: [{ name: 'hello', version: '2.10-3', arch: 'amd64' }],
        removed: [],
        changed: [{ name: 'libc6', from: '1', to: '2', direction: 'upgraded' }],
        oldCount: 1,
        newCount: 2,
      },
      kernel: { old: kernelsIn(a), new: kernelsIn(b) },
      kargs: { old: ['console=ttyS0'], new: ['console=ttyS0', 'quiet'], added: ['quiet'], removed: [], errors: [] },
      access: 'mount',
      attribution: 'layers',
      walk: 'layers',
      stats: { oldEntries: 0, newEntries: 0, filesRead: 0, bytesRead: 0 },
      timings: { rootfsMs: 0, treeMs: 0, totalMs: 0 },
    };
    const text = formatDiffText(d);
    assert.match(text, /^localhost\/app:1 \(aaaaaaaaaaaa\) → localhost\/app:2 \(bbbbbbbbbbbb\)$/m);
    assert.match(text, /^Size: 100\.0 MiB → 110\.0 MiB \(\+10\.0 MiB\)$/m);
    assert.match(text, /^Kernel: 6\.1\.0-1-amd64 → 6\.1\.0-2-amd64$/m);
    assert.match(text, /^Kernel arguments: \+quiet \(now: console=ttyS0 quiet\)$/m);
    assert.match(text, /^ {2}\+ hello 2\.10-3 \(amd64\)$/m);
    assert.match(text, /^ {2}~ libc6 1 → 2$/m);
    assert.match(text, /^\/usr: replaced on upgrade: \d+ added, 1 removed, 1 modified$/m);
    assert.match(text, /^ {2}- \/usr\/lib\/modules\/6\.1\.0-1-amd64\/vmlinuz \(1 B\)$/m);
    assert.match(text, /^Containerfile:4:1: warning \[var-not-updated\] \/var\/lib\/app\/seed changed in \/var$/m);
  });
});
