import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize, type FileChange, type ImageDiff } from '../../core/src/image/diff';
import { diffSection } from '../../client/src/diff-html';

const files: FileChange[] = [
  { path: '/etc/<evil>.conf', kind: 'added', group: 'etc', type: 'file', size: 10 },
  { path: '/usr/bin/hello', kind: 'added', group: 'usr', type: 'file', size: 31_000 },
  { path: '/usr/lib/os-release', kind: 'modified', group: 'usr', type: 'file', size: 287, oldSize: 267, differences: ['size'] },
  { path: '/var/lib/app/seed', kind: 'modified', group: 'var', type: 'file', size: 8, oldSize: 8, differences: ['content'] },
  { path: '/var/cache/x.deb', kind: 'removed', group: 'var', type: 'file', size: 100 },
];

const diff: ImageDiff = {
  old: { image: 'localhost/app:1', id: 'sha256:' + '1'.repeat(64), size: 800 * 1024 ** 2 },
  new: { image: 'localhost/app:2', id: '2'.repeat(64), size: 810 * 1024 ** 2 },
  file: '/w/Containerfile',
  files,
  summary: summarize(files),
  varWarnings: [
    {
      path: '/var/lib/app/seed',
      kind: 'modified',
      message: '/var/lib/app/seed changed in /var: existing machines keep their old copy',
      line: 4,
      column: 1,
      attributedTo: 'instruction',
    },
    {
      path: '/var/cache/x.deb',
      kind: 'removed',
      message: '/var/cache/x.deb was removed',
      createdBy: 'apt-get clean',
      attributedTo: 'unknown',
    },
  ],
  packages: {
    manager: 'dpkg',
    added: [{ name: 'hello', version: '2.10-3', arch: 'amd64' }],
    removed: [],
    changed: [{ name: 'libc6', from: '2.36-9', to: '2.36-8', direction: 'downgraded' }],
    oldCount: 140,
    newCount: 141,
  },
  kernel: { old: [], new: ['6.1.0-50-amd64'] },
  kargs: { old: [], new: ['console=ttyS0'], added: ['console=ttyS0'], removed: [], errors: [] },
  access: 'mount',
  attribution: 'layers',
  walk: 'layers',
  stats: { oldEntries: 1, newEntries: 1, filesRead: 0, bytesRead: 0 },
  timings: { rootfsMs: 1, treeMs: 1, totalMs: 2 },
};

describe('diff section of the results view', () => {
  it('shows before/after, packages, kernel and kargs', () => {
    const html = diffSection(diff);
    assert.match(html, /<h2>Upgrade: localhost\/app:1 → localhost\/app:2<\/h2>/);
    assert.match(html, /<th scope="row">Kernel<\/th><td>none<\/td><td class="changed">6\.1\.0-50-amd64<\/td>/);
    assert.match(html, /<th scope="row">Image ID<\/th><td>111111111111<\/td><td class="changed">222222222222<\/td>/);
    assert.match(html, /<th scope="row">Packages<\/th><td>140<\/td><td class="changed">141<\/td>/);
    assert.match(html, /<li>\+ hello 2\.10-3<\/li>/);
    assert.match(html, /<li>~ libc6 2\.36-9 → 2\.36-8 \(downgraded\)<\/li>/);
    assert.match(html, /Kernel arguments change: <code>\+console=ttyS0<\/code>/);
  });

  it('warns per /var path, linking to the instruction when known', () => {
    const html = diffSection(diff);
    assert.match(html, /will not reach existing machines \(2\)/);
    assert.match(html, /<li class="warning"><a href="#" class="jump" data-line="4">line 4<\/a>: \/var\/lib\/app\/seed changed/);
    assert.match(html, /<li class="warning">\/var\/cache\/x\.deb was removed <span class="muted">\(apt-get clean\)<\/span><\/li>/);
  });

  it('groups files, opens /etc and /var, escapes paths, cuts long lists', () => {
    const html = diffSection(diff, { limit: 1 });
    assert.match(html, /<details open><summary>\/etc: merged on upgrade[^<]*: 1 added, 0 removed, 0 modified<\/summary>/);
    assert.match(
      html,
      /<details><summary>\/usr: replaced on upgrade: 1 added, 0 removed, 1 modified<\/summary><ul class="files"><li class="added">\+ <code>\/usr\/bin\/hello<\/code> \(30\.3 KiB\)<\/li><li class="muted">…and 1 more<\/li>/,
    );
    assert.ok(html.includes('/etc/&lt;evil&gt;.conf') && !html.includes('<evil>'));
    assert.ok(!/ style="/.test(html), 'no inline style attributes (CSP)');
    assert.doesNotMatch(html, /<details[^>]*><summary>\/boot/, 'empty groups are left out');
  });
});
