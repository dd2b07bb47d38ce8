import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compareMeasurements, parseMeasurement, presentMetrics } from '../../core/src/measure/analyze';
import { measurementPage } from '../../client/src/measure-html';
import { compareSection, resultsHtml } from '../../client/src/results-html';
import type { RunRecord } from '../../client/src/runs';

/** A real `bootc-lab measure --out` file from this machine (see docs in the notes): the page must render from it alone. */
const SAVED = path.join(__dirname, '..', 'fixtures', 'measure', 'debian-plain-quick.json');

const count = (s: string, re: RegExp): number => s.match(re)?.length ?? 0;

describe('measurement page', () => {
  const m = parseMeasurement(fs.readFileSync(SAVED, 'utf8'));

  it('renders a saved measurement: one chart per metric with a dot per run, the median and the IQR', () => {
    const html = measurementPage(m, { nonce: 'n0nce', cspSource: 'vscode-resource:' });
    const metrics = presentMetrics(m);
    assert.ok(metrics.includes('ssh_s') && metrics.includes('usr_walk_s') && metrics.includes('mem_used_mib'), metrics.join());
    assert.equal(count(html, /<figure class="metric"/g), metrics.length);
    const ssh = /<figure class="metric" data-metric="ssh_s">(.*?)<\/figure>/s.exec(html)?.[1] ?? '';
    const runs = m.variants.reduce((n, v) => n + v.runs.filter((r) => !r.failure && r.metrics.ssh_s !== undefined).length, 0);
    assert.equal(count(ssh, /<circle /g), runs);
    assert.equal(count(ssh, /class="median"/g), m.variants.filter((v) => v.summary.ssh_s).length);
    assert.equal(count(ssh, /class="iqr"/g), m.variants.filter((v) => v.summary.ssh_s).length);
    assert.match(html, /Host:<\/strong> .*(TCG|KVM)/);
    assert.match(html, /bootstrap interval, 2000 resamples, seed 12/);
    assert.doesNotMatch(html, /<script/, 'a saved page needs no script');
  });

  it('the comparison table has a ratio and interval per metric, and says "no difference" when the interval contains 1', () => {
    const html = measurementPage(m, { nonce: 'n', cspSource: 'c' });
    const table = /<table class="comparisons">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
    assert.equal(count(table, /<tr class="(same|diff)">/g), m.comparisons.length);
    for (const c of m.comparisons) {
      const row = new RegExp(
        `<code>${c.metric}</code></th><td>[^<]*</td><td>[^<]*</td><td>${c.ratio.toFixed(3)}×</td><td>${c.low.toFixed(3)}–${c.high.toFixed(3)}</td><td>([^<]*)</td>`,
      ).exec(table);
      assert.ok(row, c.metric);
      assert.equal(row[1] === 'no difference', c.low <= 1 && c.high >= 1, c.metric);
    }
  });

  it('escapes image names and warnings', () => {
    const evil = parseMeasurement(fs.readFileSync(SAVED, 'utf8'));
    const v = evil.variants[0];
    assert.ok(v);
    v.image = 'localhost/<img src=x onerror=alert(1)>';
    const html = measurementPage(parseMeasurement(JSON.stringify(evil)), { nonce: 'n', cspSource: 'c' });
    assert.doesNotMatch(html, /<img src=x/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('in the results view: a measure run shows its page; two measure runs compare the later with the earlier', () => {
    const earlier: RunRecord = { id: 'measure-a', kind: 'measure', file: '', status: 'ok', startedAt: 1000, measurement: m };
    const later: RunRecord = { id: 'measure-b', kind: 'measure', file: '', status: 'ok', startedAt: 2000, measurement: m };
    const page = resultsHtml({ runs: [later, earlier], selected: 'measure-b', nonce: 'n', cspSource: 'c' });
    assert.match(page, /<h2>Measurement/);
    assert.match(page, /id="export-csv"/);
    const cmp = compareSection(later, earlier);
    assert.match(cmp, /Compared with the earlier measurement measure-a/);
    const same = compareMeasurements(m, m);
    assert.ok(same.length > 0 && same.every((c) => c.ratio === 1 && c.no_difference));
    assert.equal(count(cmp, /<tr class="same">/g), m.comparisons.filter((c) => c.no_difference).length + same.length);
  });
});
