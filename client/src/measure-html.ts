import {
  formatRatio,
  hostLine,
  ratioText,
  presentMetrics,
  variantLabel,
  type Comparison,
  type Measurement,
} from '../../core/src/measure/analyze';
import { metricDef } from '../../core/src/measure/metrics';

const esc = (s: string | number | undefined | null): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const num = (n: number | undefined): string => {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
};

const W = 300;
const LABEL_W = 70;
const ROW_H = 18;

/**
 * One small chart per metric: a row per variant with a dot per run, the IQR as a band, min–max as
 * a line and the median as a tick, all on the metric's own scale (small multiples: shapes compare,
 * units do not mix).
 */
export function metricChart(m: Measurement, key: string, comparisons: Comparison[]): string {
  const def = metricDef(key);
  const vs = m.variants.filter((v) => !v.skipped);
  const all = vs
    .flatMap((v) => v.runs.filter((r) => !r.failure).map((r) => r.metrics[key]))
    .filter((x): x is number => typeof x === 'number');
  if (all.length === 0) return '';
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all) || 1;
  const x = (v: number): number => LABEL_W + ((v - lo) / (hi - lo || 1)) * (W - LABEL_W - 10);
  const rows = vs
    .map((v, i) => {
      const s = v.summary[key];
      const y = i * ROW_H + 10;
      if (!s) return `<text x="0" y="${y + 4}" class="lbl">${esc(v.mode)}</text>`;
      const dots = v.runs
        .filter((r) => !r.failure && typeof r.metrics[key] === 'number')
        .map(
          (r) =>
            `<circle cx="${x(r.metrics[key] ?? 0).toFixed(1)}" cy="${y}" r="3" class="dot"><title>run ${r.index + 1}: ${num(r.metrics[key])} ${esc(def?.unit)}</title></circle>`,
        )
        .join('');
      return `<g class="variant v${i % 6}"><text x="0" y="${y + 4}" class="lbl">${esc(v.mode)}</text><line x1="${x(s.min).toFixed(1)}" x2="${x(s.max).toFixed(1)}" y1="${y}" y2="${y}" class="range"/><rect x="${x(s.q1).toFixed(1)}" y="${y - 5}" width="${Math.max(1, x(s.q3) - x(s.q1)).toFixed(1)}" height="10" class="iqr"><title>IQR ${num(s.q1)}–${num(s.q3)}</title></rect>${dots}<line x1="${x(s.median).toFixed(1)}" x2="${x(s.median).toFixed(1)}" y1="${y - 7}" y2="${y + 7}" class="median"><title>median ${num(s.median)} ${esc(def?.unit)}</title></line></g>`;
    })
    .join('');
  const h = vs.length * ROW_H + 16;
  const axis = `<text x="${LABEL_W}" y="${h - 2}" class="tick">${num(lo)}</text><text x="${W - 10}" y="${h - 2}" class="tick" text-anchor="end">${num(hi)} ${esc(def?.unit)}</text>`;
  const ratios = comparisons
    .filter((c) => c.metric === key)
    .map((c) => `<li class="${c.no_difference ? 'same' : 'diff'}">${esc(c.variant)}: ${esc(formatRatio(c))}</li>`)
    .join('');
  const medians = vs.map((v) => `${esc(v.mode)} ${num(v.summary[key]?.median)}`).join(' · ');
  return `<figure class="metric" data-metric="${esc(key)}"><figcaption><strong>${esc(def?.label ?? key)}</strong> <code>${esc(key)}</code><br><span class="muted">median: ${medians} ${esc(def?.unit)}</span></figcaption><svg role="img" aria-label="${esc(def?.label ?? key)}: runs, median and interquartile range per variant" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}">${rows}${axis}</svg>${ratios ? `<ul class="ratios">${ratios}</ul>` : ''}</figure>`;
}

export function comparisonTable(m: Measurement, comparisons: Comparison[]): string {
  if (comparisons.length === 0)
    return `<p class="muted">No comparison: one variant, or a variant without a successful run. Intervals: ${esc(m.settings.interval)}.</p>`;
  const rows = comparisons
    .map((c) => {
      const def = metricDef(c.metric);
      return `<tr class="${c.no_difference ? 'same' : 'diff'}"><th scope="row">${esc(def?.label ?? c.metric)} <code>${esc(c.metric)}</code></th><td>${esc(c.baseline)}</td><td>${esc(c.variant)}</td><td>${ratioText(c.ratio)}×</td><td>${ratioText(c.low)}–${ratioText(c.high)}</td><td>${c.no_difference ? 'no difference' : c.ratio > 1 === !def?.higherIsBetter ? 'worse' : 'better'}</td></tr>`;
    })
    .join('');
  return `<table class="comparisons"><thead><tr><th>Metric</th><th>Baseline</th><th>Variant</th><th>Ratio</th><th>95% interval</th><th></th></tr></thead><tbody>${rows}</tbody></table><p class="muted">${esc(m.settings.interval)}. “No difference”: the interval contains 1.</p>`;
}

/** The measurement page's body: host line, warnings, charts, the comparison table, and optionally a comparison with an earlier measurement. */
export function measurementSection(m: Measurement, earlier?: { label: string; comparisons: Comparison[] }): string {
  const vs = m.variants;
  const runs = vs
    .map(
      (v) =>
        `${esc(variantLabel(v))}: ${v.skipped ? `not measured (${esc(v.skipped)})` : `${v.runs.filter((r) => !r.failure).length}/${v.runs.length} runs`}`,
    )
    .join(' · ');
  const warnings = m.warnings.length ? `<ul class="warnings">${m.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  const charts = presentMetrics(m)
    .map((k) => metricChart(m, k, m.comparisons))
    .join('');
  const parts = [
    `<h2>Measurement${m.cancelled ? ' <span class="badge cancelled">cancelled</span>' : ''}</h2>`,
    `<p class="host"><strong>Host:</strong> ${esc(hostLine(m.host))}</p>`,
    `<p class="muted">${esc(new Date(m.startedAt).toLocaleString())} · ${runs}${m.settings.exec ? ` · --exec <code>${esc(m.settings.exec)}</code>` : ''}</p>`,
    warnings,
    `<div class="multiples">${charts}</div>`,
    '<h3>Comparison with the baseline</h3>',
    comparisonTable(m, m.comparisons),
  ];
  if (earlier) parts.push(`<h3>Compared with ${esc(earlier.label)}</h3>`, comparisonTable(m, earlier.comparisons));
  return parts.join('\n');
}

export const MEASURE_CSS = `.multiples{display:flex;flex-wrap:wrap;gap:12px}.metric{margin:0;padding:6px;border:1px solid var(--vscode-panel-border);width:${W + 12}px}
.metric .lbl{font-size:11px}.dot{fill:var(--vscode-charts-blue);fill-opacity:.75}.v1 .dot{fill:var(--vscode-charts-orange)}.v2 .dot{fill:var(--vscode-charts-green)}.v3 .dot{fill:var(--vscode-charts-purple)}
.iqr{fill:var(--vscode-charts-blue);fill-opacity:.2}.range{stroke:var(--vscode-descriptionForeground)}.median{stroke:var(--vscode-foreground);stroke-width:2}
ul.ratios{margin:2px 0;padding-left:16px;font-size:90%}li.diff,tr.diff td:last-child{color:var(--vscode-charts-orange)}li.same{color:var(--vscode-descriptionForeground)}
ul.warnings li{color:var(--vscode-editorWarning-foreground)}`;

/** A standalone page for one saved measurement (JSON file), e.g. to screenshot or to open outside a run history. */
export function measurementPage(
  m: Measurement,
  o: { nonce: string; cspSource: string; earlier?: { label: string; comparisons: Comparison[] } },
): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${o.nonce}'; img-src ${o.cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>bootc Lab measurement</title>
<style nonce="${o.nonce}">body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);background:var(--vscode-editor-background);padding:0 16px}
svg text{fill:var(--vscode-foreground);font-size:12px}.tick{font-size:10px}.muted{color:var(--vscode-descriptionForeground)}
table{border-collapse:collapse}th,td{border:1px solid var(--vscode-panel-border);padding:3px 8px;text-align:left}
${MEASURE_CSS}</style></head><body>
<h1>bootc Lab measurement</h1>
${measurementSection(m, o.earlier)}
</body></html>`;
}
