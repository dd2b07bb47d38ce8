import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { parseBootcLint, unquote } from '../../core/src/image/bootc-output';
import { mapHistory } from '../../core/src/image/attribution';
import { placeResult } from '../../core/src/image/lint-image';
import { formatLikeBootc, lintRootfs, lintRootfsOwn, parseKeyFile, type ImageLintResult } from '../../core/src/image/lints';
import { buildModel, initShellParser } from '../../core/src';
import { rootStage } from '../../core/src/model/containerfile';
import { newc } from '../cpio';
import { treeWriter, writeBootcSkeleton } from '../tree';

/** A minimal clean bootc-like root filesystem; each case changes one thing. */
const roots: string[] = [];
function makeRoot(change: (w: (rel: string, content?: string) => void, r: string) => void = () => undefined): string {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-rootfs-test-'));
  roots.push(r);
  const w = treeWriter(r);
  for (const d of ['dev', 'proc', 'sys', 'run', 'tmp', 'var', 'boot', 'sysroot', 'etc', 'usr/lib/sysusers.d']) w(d);
  writeBootcSkeleton(r);
  w('usr/lib/modules/6.1.0/vmlinuz', 'kernel');
  change(w, r);
  return r;
}
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const lintsOf = (r: string): string[] => lintRootfs(r).results.map((x) => x.lint);

describe('ported bootc lints on rootfs trees', () => {
  it('a clean tree passes all 14', () => {
    const r = lintRootfs(makeRoot());
    assert.deepEqual(r.results, []);
    assert.equal(r.passed, 14);
  });
  const cases: [string, (w: (rel: string, content?: string) => void, r: string) => void, string, RegExp][] = [
    [
      'var-run',
      (_w, r) => {
        fs.unlinkSync(path.join(r, 'var/run'));
        fs.mkdirSync(path.join(r, 'var/run'));
      },
      'var-run',
      /^Not a symlink: var\/run$/,
    ],
    ['kernel', (w) => w('usr/lib/modules/6.2.0/vmlinuz', 'k2'), 'kernel', /multiple subdirectories/],
    ['bootc-kargs', (w) => w('usr/lib/bootc/kargs.d/10.toml', '[kargs]\nappend = ["x"]\n'), 'bootc-kargs', /^Parsing 10.toml$/],
    ['etc-usretc', (w) => w('usr/etc/x', ''), 'etc-usretc', /Found \/usr\/etc/],
    [
      'utf8',
      (_w, r) => fs.writeFileSync(Buffer.concat([Buffer.from(path.join(r, 'usr/')), Buffer.from([0x62, 0xff, 0x64])]), ''),
      'utf8',
      /^\/usr: Found non-utf8 filename "b\\xFFd"$/,
    ],
    ['baseimage-root', (_w, r) => fs.unlinkSync(path.join(r, 'ostree')), 'baseimage-root', /^Missing ostree -> sysroot\/ostree link$/],
    ['var-log', (w) => w('var/log/dnf5.log', 'x'), 'var-log', /Found non-empty logfiles/],
    ['nonempty-boot', (w) => w('boot/vmlinuz-6.1', 'k'), 'nonempty-boot', /Found non-empty \/boot/],
    ['buildah-injected', (w) => w('etc/hostname', ''), 'buildah-injected', /\/etc\/hostname is an empty file/],
    [
      'baseimage-composefs',
      (w) => w('usr/lib/ostree/prepare-root.conf', '[composefs]\nenabled = no\n'),
      'baseimage-composefs',
      /does not have composefs enabled/,
    ],
    ['var-tmpfiles', (w) => w('var/lib/nginx'), 'var-tmpfiles', /missing systemd tmpfiles.d entries/],
    [
      'sysusers',
      (w) => w('etc/passwd', 'root:x:0:0::/root:/bin/sh\nnginx:x:990:990::/:/sbin/nologin\n'),
      'sysusers',
      /Found \/etc\/passwd entry/,
    ],
    [
      'api-base-directories',
      (_w, r) => fs.rmdirSync(path.join(r, 'proc')),
      'api-base-directories',
      /^Missing API filesystem base directory: \/proc$/,
    ],
    ['nonempty-run-tmp', (w) => w('tmp/build.log', 'x'), 'nonempty-run-tmp', /runtime-only directories/],
  ];
  for (const [name, change, lint, msg] of cases) {
    it(`${name} fails on a bad tree`, () => {
      const r = lintRootfs(makeRoot(change)).results;
      // A log file is also undeclared /var content, exactly as bootc reports it.
      const expected = lint === 'var-log' ? ['var-log', 'var-tmpfiles'] : [lint];
      assert.deepEqual(
        r.map((x) => x.lint),
        expected,
      );
      assert.match(r[0]?.message ?? '', msg);
    });
  }
  it('reports details as bootc does: items, sections, tmpfiles suggestions, paths', () => {
    const root = makeRoot((w) => {
      w('var/lib/nginx');
      w('var/lib/nginx/state.db', 'x');
      w('etc/group', 'root:x:0:\nwheel:x:10:\n');
    });
    const r = lintRootfs(root).results;
    const tmp = r.find((x) => x.lint === 'var-tmpfiles');
    assert.deepEqual(tmp?.items, ['d /var/lib 0755 root root - -', 'd /var/lib/nginx 0755 root root - -']);
    assert.deepEqual(tmp?.sections, [{ header: 'Found non-directory/non-symlink files in /var:', items: ['var/lib/nginx/state.db'] }]);
    assert.ok(tmp?.paths.includes('/var/lib/nginx/state.db'));
    const su = r.find((x) => x.lint === 'sysusers');
    assert.deepEqual(su?.users, [{ kind: 'group', name: 'wheel' }]);
    assert.match(
      formatLikeBootc(r, 12, 0),
      /^Lint warning: sysusers: Found \/etc\/group entry without corresponding systemd sysusers.d:\n {2}wheel\n/m,
    );
  });
  it("skips podman's DNS stub in /run and honours a tmpfiles declaration through /root", () => {
    const root = makeRoot((w, r) => {
      w('run/systemd/resolve/stub-resolv.conf', 'x');
      w('var/roothome/.ssh');
      fs.symlinkSync('var/roothome', path.join(r, 'root'));
      w('usr/lib/tmpfiles.d/root.conf', 'd /var/roothome 0700 root root -\nd /root/.ssh 0700 root root -\n');
    });
    assert.deepEqual(lintsOf(root), []);
  });
  it('keeps Running/Alternative gating when asked', () => {
    const root = makeRoot((w) => {
      w('etc/hostname', '');
      w('var/lib/x');
    });
    assert.deepEqual(
      lintRootfs(root, { modes: ['running'] }).results.map((x) => x.lint),
      ['var-tmpfiles'],
    );
    assert.deepEqual(
      lintRootfs(root, { modes: ['alternative'] }).results.map((x) => x.lint),
      ['buildah-injected'],
    );
  });
  it('reads GLib key files', () => {
    assert.equal(parseKeyFile('# c\n[root]\ntransient = true\n').get('root')?.get('transient'), 'true');
  });
});

describe('ported lints match the real bootc (issue 15 parity run)', () => {
  const only = (root: string, lint: string): ImageLintResult | undefined => lintRootfs(root).results.find((x) => x.lint === lint);
  it('sysusers lists missing names sorted, as bootc does, and reads quoted names', () => {
    const root = makeRoot((w) => {
      w('etc/passwd', 'root:x:0:0::/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\napp:x:990:990::/:/bin/false\n');
      w('etc/group', 'root:x:0:\ninput:x:101:\nsgx:x:102:\nkvm:x:103:\n_ssh:x:104:\nquoted:x:105:\n');
      w('usr/lib/sysusers.d/q.conf', 'g "quoted" 105\n');
    });
    const r = only(root, 'sysusers');
    assert.deepEqual(r?.items, ['app', 'sshd']);
    assert.deepEqual(r?.sections?.[0]?.items, ['_ssh', 'input', 'kvm', 'sgx']);
  });
  it('var-tmpfiles sorts its lines, writes /var/run as /run and escapes paths like bootc', () => {
    const root = makeRoot((w, r) => {
      w('var/lib/zz');
      fs.symlinkSync('../mail', path.join(r, 'var/spool'));
      w('var/lib/with space');
    });
    assert.deepEqual(only(root, 'var-tmpfiles')?.items, [
      'L /var/spool - - - - ../mail',
      'd /var/lib 0755 root root - -',
      'd /var/lib/with\\x20space 0755 root root - -',
      'd /var/lib/zz 0755 root root - -',
    ]);
    const varRunDir = makeRoot((w, r) => {
      fs.unlinkSync(path.join(r, 'var/run'));
      w('var/run/app');
    });
    // The skeleton's `L /var/run` line still declares the directory itself.
    assert.deepEqual(only(varRunDir, 'var-tmpfiles')?.items, ['d /run/app 0755 root root - -']);
  });
  it('var-tmpfiles lists the files it cannot express in directory order, as bootc does', () => {
    const names = Array.from({ length: 40 }, (_, i) => `f${i}`);
    const root = makeRoot((w) => {
      for (const n of names) w(`var/cache/${n}`, 'x');
    });
    const dir = fs.opendirSync(path.join(root, 'var/cache'));
    const order: string[] = [];
    for (let e = dir.readSync(); e; e = dir.readSync()) order.push(e.name);
    dir.closeSync();
    // The case only tells the two apart where the filesystem does not return names sorted (ext4, tmpfs do not).
    assert.notDeepEqual(order, [...order].sort());
    assert.deepEqual(
      only(root, 'var-tmpfiles')?.sections?.[0]?.items,
      order.map((n) => `var/cache/${n}`),
    );
  });
  it('var-tmpfiles resolves only the parent of a declared path, and reads quoted paths of any line type', () => {
    const root = makeRoot((w, r) => {
      w('var/lib/real');
      w('var/lib/real/kept');
      fs.symlinkSync('real', path.join(r, 'var/lib/alias'));
      w('var/lib/two words');
      w(
        'usr/lib/tmpfiles.d/x.conf',
        'd /var/lib 0755 - - -\nd /var/lib/real 0755 - - -\nz /var/lib/alias/kept\nd /var/lib/alias 0755 - - -\nd "/var/lib/two words" 0755 - - -\n',
      );
    });
    // `/var/lib/alias` is declared as the link itself, which exists: nothing is missing.
    assert.equal(only(root, 'var-tmpfiles'), undefined);
    const leaf = makeRoot((w, r) => {
      w('var/lib/real');
      fs.symlinkSync('var/lib/real', path.join(r, 'data'));
      w('usr/lib/tmpfiles.d/x.conf', 'd /var/lib 0755 - - -\nd /data 0755 - - -\n');
    });
    // A link as the last component is not followed: /data does not declare /var/lib/real.
    assert.deepEqual(only(leaf, 'var-tmpfiles')?.items, ['d /var/lib/real 0755 root root - -']);
  });
  it('var-tmpfiles stops with a runtime error on an owner without a name, as bootc does', () => {
    const root = makeRoot((w, r) => {
      w('var/lib/orphan');
      fs.chownSync(path.join(r, 'var/lib/orphan'), 4242, 0);
      w('usr/lib/tmpfiles.d/x.conf', 'd /var/lib 0755 - - -\n');
    });
    const r = only(root, 'var-tmpfiles');
    assert.equal(r?.runtimeError, true);
    assert.equal(r?.message, 'User not found for id 4242');
  });
  it('kernel ignores a link to a module directory and bootc-kargs accepts an unknown architecture', () => {
    const root = makeRoot((w, r) => {
      fs.symlinkSync('6.1.0', path.join(r, 'usr/lib/modules/6.1.0-link'));
      w('usr/lib/bootc/kargs.d/10-arch.toml', 'kargs = ["console=ttyS0"]\nmatch-architectures = ["amd64"]\n');
    });
    assert.deepEqual(lintsOf(root), []);
  });
  it("quotes listed paths like bootc's PathQuotedDisplay (shlex leaves `+` bare, any script's letters pass)", () => {
    const root = makeRoot((w) => {
      w('var/log/base-files_12.4+deb12u15.log', 'x');
      w('var/log/café.log', 'x');
      w('var/log/two words.log', 'x');
      w("var/log/it's.log", 'x');
    });
    assert.deepEqual(only(root, 'var-log')?.items, [
      '/var/log/base-files_12.4+deb12u15.log',
      '/var/log/café.log',
      `"/var/log/it's.log"`,
      "'/var/log/two words.log'",
    ]);
  });
  it('nonempty-run-tmp stops with a runtime error when /tmp is a link, as bootc does', () => {
    const root = makeRoot((_w, r) => {
      fs.rmdirSync(path.join(r, 'tmp'));
      fs.symlinkSync('var/tmp', path.join(r, 'tmp'));
    });
    const r = only(root, 'nonempty-run-tmp');
    assert.equal(r?.runtimeError, true);
    assert.equal(r?.message, 'Not a directory (os error 20)');
  });
  it('prints like bootc: utf8 after the other lints, nothing after the first runtime error', () => {
    const r = (lint: string, extra: Partial<ImageLintResult> = {}): ImageLintResult => ({
      lint,
      type: 'fatal',
      message: `${lint} failed`,
      items: [],
      paths: [],
      ...extra,
    });
    assert.equal(
      formatLikeBootc([r('etc-usretc'), r('utf8'), r('var-run')], 11, 1)
        .split('\n')
        .slice(0, 3)
        .join('|'),
      ['Failed lint: etc-usretc: etc-usretc failed', 'Failed lint: var-run: var-run failed', 'Failed lint: utf8: utf8 failed'].join('|'),
    );
    assert.equal(
      formatLikeBootc([r('bootc-kargs', { runtimeError: true, message: 'Parsing 10.toml' }), r('var-run')], 11, 1),
      'error: Linting: Unexpected runtime error running lint bootc-kargs: Parsing 10.toml\n',
    );
  });
});

describe('bootc container lint output parser', () => {
  it('parses a warning with a list and the summary (bootc#2050)', () => {
    const o = parseBootcLint(
      'Lint warning: nonempty-run-tmp: Found content in runtime-only directories (/run, /tmp):\n  /run/systemd\n  /run/systemd/resolve\n\nChecks passed: 12\nChecks skipped: 1\nWarnings: 1\n',
    );
    assert.deepEqual(
      o.results.map((r) => [r.lint, r.type, r.message, r.items]),
      [
        [
          'nonempty-run-tmp',
          'warning',
          'Found content in runtime-only directories (/run, /tmp):',
          ['/run/systemd', '/run/systemd/resolve'],
        ],
      ],
    );
    assert.deepEqual(o.results[0]?.paths, ['/run/systemd', '/run/systemd/resolve']);
    assert.deepEqual([o.passed, o.skipped, o.warnings, o.failed], [12, 1, 1, undefined]);
  });
  it('parses two sections and the failure count on stderr (bootc#1546, --fatal-warnings)', () => {
    const o = parseBootcLint(
      'Lint warning: var-tmpfiles: Found content in /var missing systemd tmpfiles.d entries:\n  d /var/roothome/buildinfo 0755 root root - -\n  d /var/roothome/buildinfo/content_manifests 0755 root root - -\nFound non-directory/non-symlink files in /var:\n  var/roothome/buildinfo/content_manifests/content-sets.json\n\nChecks passed: 12\nChecks skipped: 1\nWarnings: 1\n',
      'error: Linting: Checks failed: 1\n',
    );
    const r = o.results[0];
    assert.equal(r?.items.length, 2);
    assert.deepEqual(r?.sections, [
      { header: 'Found non-directory/non-symlink files in /var:', items: ['var/roothome/buildinfo/content_manifests/content-sets.json'] },
    ]);
    assert.deepEqual(r?.paths, [
      '/var/roothome/buildinfo',
      '/var/roothome/buildinfo/content_manifests',
      '/var/roothome/buildinfo/content_manifests/content-sets.json',
    ]);
    assert.equal(o.failed, 1);
  });
  it('parses a combined log where the error line comes first (bluefin-lts#919)', () => {
    const o = parseBootcLint(
      'error: Linting: Checks failed: 1\nLint warning: sysusers: Found /etc/passwd entry without corresponding systemd sysusers.d:\n  avahi\n  ...\nChecks passed: 11\nChecks skipped: 1\nWarnings: 1\n',
    );
    assert.deepEqual(o.results[0]?.users, [
      { kind: 'user', name: 'avahi' },
      { kind: 'user', name: '...' },
    ]);
    assert.equal(o.failed, 1);
    assert.equal(o.passed, 11);
  });
  it('counts truncated lists, unquotes paths and Debug-quoted names', () => {
    const o = parseBootcLint(
      'Lint warning: var-log: Found non-empty logfiles:\n  /var/log/a.log\n  \'/var/log/with space.log\'\n  ...and 7 more\n\nLint warning: sysusers: Found /etc/passwd entry without corresponding systemd sysusers.d:\n  "sudo"\n\nChecks passed: 10\n',
    );
    assert.equal(o.truncated['var-log'], 7);
    assert.deepEqual(o.results[0]?.paths, ['/var/log/a.log', '/var/log/with space.log']);
    assert.deepEqual(o.results[1]?.users, [{ kind: 'user', name: 'sudo' }]);
    assert.equal(unquote("'it'\\''s'"), "it's");
  });
  it('parses single-line fatal lints and runtime errors', () => {
    const o = parseBootcLint(
      'Failed lint: var-run: Not a symlink: var/run\nFailed lint: etc-usretc: Found /usr/etc - this is a bootc implementation detail and not supported to use in containers\n',
      'error: Linting: Unexpected runtime error running lint kernel: Found multiple subdirectories in usr/lib/modules\n',
    );
    assert.deepEqual(
      o.results.map((r) => [r.lint, r.type, !!r.runtimeError]),
      [
        ['var-run', 'fatal', false],
        ['etc-usretc', 'fatal', false],
        ['kernel', 'fatal', true],
      ],
    );
    assert.deepEqual(o.runtimeError, { lint: 'kernel', message: 'Found multiple subdirectories in usr/lib/modules' });
    assert.equal(o.passed, undefined, 'no summary after a runtime error');
  });
  it('parses pre-1.1.5 output, the ostree-container refusal and unknown flags', () => {
    const legacy = parseBootcLint('', 'error: Linting: Not a symlink: var/run\n');
    assert.equal(legacy.legacyFailure, 'Not a symlink: var/run');
    assert.equal(legacy.results[0]?.lint, 'var-run');
    assert.equal(parseBootcLint('Checks passed: 4\n').passed, 4);
    assert.equal(parseBootcLint('', 'error: Not in a ostree container, this command only verifies ostree containers.\n').notOstree, true);
    assert.equal(
      parseBootcLint('', "error: unexpected argument '--no-truncate' found\n\nUsage: bootc container lint [OPTIONS]\n").unknownFlag,
      '--no-truncate',
    );
  });
});

describe('placing image findings on instructions', () => {
  it('two kernels are one problem, on the RUN that added the second, not also on FROM (issue 9 §1.6)', async () => {
    await initShellParser();
    const model = buildModel(
      'FROM localhost/custom-base:1\nRUN mkdir -p /usr/lib/modules/6.2 && touch /usr/lib/modules/6.2/vmlinuz\n',
      'file:///ctx/Containerfile',
    );
    const base = makeRoot();
    // The RUN's layer holds only what it added.
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-layer-test-'));
    roots.push(run);
    treeWriter(run)('usr/lib/modules/6.2/vmlinuz', 'k2');
    const merged = makeRoot((w) => w('usr/lib/modules/6.2/vmlinuz', 'k2'));
    const kernel = lintRootfs(merged).results.find((r) => r.lint === 'kernel');
    assert.ok(kernel);
    const history = mapHistory({ Id: 'x', History: [{ created_by: 'imported' }, { created_by: '/bin/sh -c mkdir -p …' }] }, model);
    const found = placeResult(kernel, 'image', { dirs: [base, run], history, model, fromRange: rootStage(model)?.imageRange });
    assert.deepEqual(
      found.map((f) => [f.range?.start.line, f.attributedTo, f.paths]),
      [[1, 'instruction', ['/usr/lib/modules/6.1.0', '/usr/lib/modules/6.2']]],
    );
    // Lints that list separate problems still split by owner.
    const logs = {
      lint: 'var-log',
      type: 'warning' as const,
      message: 'Found non-empty logfiles:',
      items: [],
      paths: ['/usr/lib/modules/6.1.0', '/usr/lib/modules/6.2'],
    };
    assert.equal(placeResult(logs, 'image', { dirs: [base, run], history, model }).length, 2);
  });
});

describe("bootc Lab's own image checks", () => {
  const own = async (r: string, notes: string[] = []): Promise<Map<string, ImageLintResult>> =>
    new Map((await lintRootfsOwn(r, { note: (m) => notes.push(m) })).map((x) => [x.lint, x]));
  it('a clean tree passes them', async () => {
    assert.deepEqual([...(await own(makeRoot())).keys()], []);
  });
  it('dpkg-database-in-var: a real /var/lib/dpkg with its status file, nothing in /usr/lib/sysimage', async () => {
    const inVar = await own(makeRoot((w) => w('var/lib/dpkg/status', 'Package: base-files\n')));
    assert.deepEqual(inVar.get('dpkg-database-in-var')?.paths, ['/var/lib/dpkg/status']);
    const moved = makeRoot((w, r) => {
      w('usr/lib/sysimage/dpkg/status', 'Package: base-files\n');
      w('var/lib');
      fs.symlinkSync('../../usr/lib/sysimage/dpkg', path.join(r, 'var/lib/dpkg'));
    });
    assert.equal((await own(moved)).get('dpkg-database-in-var'), undefined);
  });
  it('var-link-tmpfiles: links into /var need a creating tmpfiles.d line for their target', async () => {
    const r = makeRoot((w, root) => {
      fs.symlinkSync('var/home', path.join(root, 'home'));
      fs.symlinkSync('var/roothome', path.join(root, 'root'));
      w('usr/local/.keep', '');
      fs.rmSync(path.join(root, 'usr/local'), { recursive: true });
      fs.symlinkSync('../var/usrlocal', path.join(root, 'usr/local'));
      w('usr/lib/tmpfiles.d/links.conf', 'd /var/roothome 0700 root root -\nr /var/home\n');
      // systemd's own line: tmpfiles does not follow the /home link to create /var/home.
      w('usr/lib/tmpfiles.d/home.conf', 'Q /home 0755 - - -\n');
    });
    const f = (await own(r)).get('var-link-tmpfiles');
    assert.deepEqual(f?.paths, ['/home', '/usr/local']);
    assert.match(f?.items[0] ?? '', /^\/home -> var\/home: add `d \/var\/home 0755 root root -`$/);
  });
  it('initramfs-bootc-module: reads the initramfs and looks for ostree or bootc root setup', async () => {
    const img = 'usr/lib/modules/6.1.0/initramfs.img';
    const with_ = (names: string[]): string =>
      makeRoot((_w, r) => fs.writeFileSync(path.join(r, img), zlib.gzipSync(newc(names.map((name) => ({ name, data: 'x' }))))));
    const plain = await own(with_(['init', 'usr/lib/systemd/systemd']));
    assert.deepEqual(plain.get('initramfs-bootc-module')?.paths, [`/${img}`]);
    assert.equal(plain.get('initramfs-bootc-module')?.type, 'fatal');
    for (const ok of [
      ['usr/lib/ostree/ostree-prepare-root'],
      ['usr/lib/bootc/initramfs-setup', 'usr/lib/systemd/system/bootc-root-setup.service'],
    ])
      assert.equal((await own(with_(['init', ...ok]))).get('initramfs-bootc-module'), undefined, ok.join());
    // Unreadable: a note, never a guess.
    const notes: string[] = [];
    const lz4 = makeRoot((_w, r) => fs.writeFileSync(path.join(r, img), Buffer.from([0x02, 0x21, 0x4c, 0x18, 0, 0])));
    assert.equal((await own(lz4, notes)).get('initramfs-bootc-module'), undefined);
    assert.match(notes.join('\n'), /initramfs.img not checked: .*lz4 compression/);
  });
});
