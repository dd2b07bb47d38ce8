import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSection, markdownOf, resultsHtml } from '../../client/src/results-html';
import type { RunRecord } from '../../client/src/runs';

const boot: RunRecord = {
  id: 'boot-1',
  kind: 'boot',
  file: '/w/Containerfile',
  image: 'localhost/x:latest',
  status: 'ok',
  startedAt: 0,
  durationMs: 30_000,
  boot: {
    mode: 'quick',
    accel: 'tcg',
    states: [
      { state: 'starting', at: 0 },
      { state: 'kernel', at: 3.2 },
      { state: 'initrd', at: 4.2 },
      { state: 'switch-root', at: 9.3 },
      { state: 'userspace', at: 10.7 },
      { state: 'login', at: 19.7 },
      { state: 'ssh', at: 20.5 },
    ],
    blame: [{ unit: 'systemd-networkd.service', seconds: 2.6 }],
    failedUnits: [],
    memoryUsedBytes: 173e6,
    memoryTotalBytes: 1e9,
    systemdAnalyze: { raw: 'Startup finished in 7.2s (kernel) + 7.4s (userspace) = 14.6s' },
  },
};
const build: RunRecord = {
  id: 'build-1',
  kind: 'build',
  file: '/w/Containerfile',
  image: 'localhost/x:latest',
  status: 'failed',
  startedAt: 0,
  steps: [{ text: 'RUN <script>alert(1)</script>', durationMs: 1200, line: 3 }],
  failure: { message: 'exit status 1', line: 3 },
  imageFindings: [{ lint: 'var-log', severity: 'warning', message: 'Found non-empty logfiles: /var/log/a', line: 5, source: 'image' }],
};

describe('results page', () => {
  it('has a strict CSP with a nonce and no remote resources', () => {
    const html = resultsHtml({ runs: [boot, build], nonce: 'N0NCE', cspSource: 'vscode-resource:' });
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'nonce-N0NCE'; script-src 'nonce-N0NCE'/);
    assert.ok(!/https?:\/\//.test(html.replace(/Content-Security-Policy[^>]*>/, '')), 'no remote URLs');
    assert.equal((html.match(/<script nonce="N0NCE">/g) ?? []).length, 1);
    assert.ok(!/ style="/.test(html), 'no inline style attributes (CSP)');
  });
  it('renders the boot timeline, blame, and escapes user text', () => {
    const html = resultsHtml({ runs: [boot, build], selected: 'build-1', nonce: 'n', cspSource: 'x' });
    assert.ok(!html.includes('<script>alert(1)</script>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.match(html, /data-line="3"/);
    const bootHtml = resultsHtml({ runs: [boot], nonce: 'n', cspSource: 'x' });
    assert.match(bootHtml, /aria-label="boot timeline"/);
    assert.match(bootHtml, /starting 0\.0 s → kernel 3\.2 s → initrd 4\.2 s/);
    assert.match(bootHtml, /systemd-networkd\.service/);
  });
  it('compares two runs and exports Markdown', () => {
    assert.match(compareSection(boot, build), /<th scope="row">Login<\/th><td>19\.7 s<\/td><td>–<\/td>/);
    assert.match(compareSection({ ...boot, layers: 12 }, build), /<th scope="row">Layers<\/th><td>12<\/td><td>–<\/td>/);
    assert.match(markdownOf([boot, build]), /^\| SSH ready \| 20\.5 s \| – \|$/m);
  });
});

describe('results view: an upgrade record', () => {
  it('shows from → to, the machine-state verdict, no diff until the diff module is wired, and both timelines side by side', () => {
    const before = {
      ...(boot.boot ?? {}),
      states: [
        { state: 'starting', at: 0 },
        { state: 'ssh', at: 41.5 },
      ],
    };
    const up: RunRecord = {
      ...boot,
      id: 'boot-2',
      boot: { ...(boot.boot ?? {}), machine: { dir: '/m/x', planned: 'upgrade', kind: 'upgrade', from: 'a'.repeat(64) } },
      upgrade: {
        action: 'upgrade',
        from: { image: 'localhost/x:latest', imageId: 'a'.repeat(64) },
        to: { image: 'localhost/x:latest', imageId: 'b'.repeat(64) },
        machineDir: '/m/x',
        before,
      },
    };
    const html = resultsHtml({ runs: [up], selected: up.id, cspSource: 'x', nonce: 'n' });
    assert.match(html, /Upgrade: localhost\/x:latest \(aaaaaaaaaaaa\) → localhost\/x:latest \(bbbbbbbbbbbb\)/);
    assert.match(html, /Machine state: <strong>upgrade<\/strong> from aaaaaaaaaaaa/);
    assert.match(html, /No image diff for this upgrade/);
    const side = /<div class="sidebyside">([\s\S]*?)<\/div><\/div>/.exec(html)?.[1] ?? '';
    assert.match(side, /Before<\/h4>[\s\S]*ssh 41\.5 s/);
    assert.match(html, /After<\/h4>[\s\S]*ssh 20\.5 s/);
  });
});
