import type { BootRecord } from '../../core/src/vm/vm';
import type { ImageDiff } from '../../core/src/image/diff';
import { diffSection } from './diff-html';
import { bytes, esc } from './html';
import { compareMeasurements, toMarkdown } from '../../core/src/measure/analyze';
import { MEASURE_CSS, measurementSection } from './measure-html';
import type { RunRecord } from './runs';

// Everything the results page shows: built here, rendered as static HTML with inline SVG charts.
export { bytes, esc };

const secs = (ms?: number): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

function bars(items: { label: string; value: number; line?: number }[], unit = 's'): string {
  if (items.length === 0) return '<p class="muted">No data.</p>';
  const max = Math.max(...items.map((i) => i.value), 0.001);
  const rowH = 22;
  const w = 640;
  const labelW = 300;
  const rows = items
    .map((it, i) => {
      const bw = Math.max(1, ((w - labelW - 70) * it.value) / max);
      const y = i * rowH;
      const label = it.label.length > 46 ? `${it.label.slice(0, 45)}…` : it.label;
      const link = it.line ? ` data-line="${it.line}" tabindex="0" role="link" class="jump"` : '';
      return `<g${link}><title>${esc(it.label)}</title><text x="0" y="${y + 15}" class="lbl">${esc(label)}</text><rect x="${labelW}" y="${y + 4}" width="${bw.toFixed(1)}" height="14" class="bar"/><text x="${labelW + bw + 6}" y="${y + 15}" class="val">${it.value.toFixed(unit === 's' ? 2 : 0)} ${unit}</text></g>`;
    })
    .join('');
  return `<svg role="img" aria-label="bar chart" width="${w}" height="${items.length * rowH + 4}" viewBox="0 0 ${w} ${items.length * rowH + 4}">${rows}</svg>`;
}

/** A run's boot record as stored (older runs may lack fields). */
type BootShape = Partial<BootRecord>;

/** Phases as a timeline: one segment per phase from its start to the next phase's start. */
function timeline(b: BootShape): string {
  const st = (b.states ?? []).filter((s) => s.state !== 'failed');
  if (st.length < 2) return '<p class="muted">No boot timeline.</p>';
  const end = st[st.length - 1]?.at ?? 1;
  const w = 640;
  const segs = st.slice(0, -1).map((s, i) => {
    const next = st[i + 1]?.at ?? end;
    const x = (s.at / end) * w;
    const sw = Math.max(1, ((next - s.at) / end) * w);
    return `<g><title>${esc(s.state)}: ${s.at.toFixed(1)}–${next.toFixed(1)} s</title><rect x="${x.toFixed(1)}" y="0" width="${sw.toFixed(1)}" height="22" class="seg seg${i % 6}"/><text x="${(x + 3).toFixed(1)}" y="15" class="seglbl">${esc(s.state)}</text></g>`;
  });
  const marks = st.map((s) => `<text x="${((s.at / end) * w).toFixed(1)}" y="38" class="tick">${s.at.toFixed(1)}</text>`).join('');
  return `<svg role="img" aria-label="boot timeline" width="${w + 40}" height="44" viewBox="0 0 ${w + 40} 44">${segs.join('')}${marks}</svg><p>${st.map((s) => `${esc(s.state)} ${s.at.toFixed(1)} s`).join(' → ')}</p>`;
}

export function runSection(r: RunRecord): string {
  const parts: string[] = [];
  parts.push(
    `<h2 id="run-${esc(r.id)}">${esc(r.kind)} · ${esc(r.image ?? '')} <span class="badge ${esc(r.status)}">${esc(r.status)}</span></h2>`,
  );
  parts.push(
    `<p class="muted">${esc(new Date(r.startedAt).toLocaleString())} · ${secs(r.durationMs)} · ${esc(r.file)}${r.imageId ? ` · ${esc(r.imageId.slice(0, 12))}` : ''}${r.digest ? ` · ${esc(r.digest.slice(0, 19))}` : ''}${r.size ? ` · ${bytes(r.size)}` : ''}</p>`,
  );
  if (r.failure)
    parts.push(
      `<p class="err">Failed${r.failure.line ? ` at <a href="#" class="jump" data-line="${r.failure.line}">line ${r.failure.line}</a>` : ''}: ${esc(r.failure.message)}</p>`,
    );
  if (r.steps?.length) {
    const total = r.steps.reduce((s, x) => s + x.durationMs, 0);
    parts.push(
      `<h3>Build steps (${secs(total)})</h3>${bars(r.steps.map((s) => ({ label: s.text, value: s.durationMs / 1000, line: s.line })))}`,
    );
  }
  if (r.imageFindings) {
    const byLint = new Map<string, typeof r.imageFindings>();
    for (const f of r.imageFindings) byLint.set(f.lint, [...(byLint.get(f.lint) ?? []), f]);
    const rows = [...byLint.entries()]
      .map(
        ([lint, fs]) =>
          `<li><strong>${esc(lint)}</strong> (${fs.length})<ul>${fs.map((f) => `<li class="${esc(f.severity)}">${f.line ? `<a href="#" class="jump" data-line="${f.line}">line ${f.line}</a>: ` : ''}${esc(f.message)}</li>`).join('')}</ul></li>`,
      )
      .join('');
    parts.push(`<h3>Image lint: ${r.imageFindings.length} finding(s)</h3>${rows ? `<ul>${rows}</ul>` : '<p class="ok">Clean.</p>'}`);
  }
  if (r.staticFindings !== undefined) parts.push(`<p>Typing-time findings: ${r.staticFindings}</p>`);
  if (r.upgrade) parts.push(upgradeSection(r));
  if (r.measurement) parts.push(measurementSection(r.measurement));
  if (r.boot) {
    const b = r.boot as BootShape;
    parts.push(
      `<h3>Boot (${esc(b.mode ?? 'quick')}, ${esc((b.accel ?? '').toUpperCase())}${b.cached ? ', cached disk' : ''})</h3>${timeline(b)}`,
    );
    if (b.machine)
      parts.push(
        `<p>Machine state: <strong>${esc(b.machine.kind ?? `${b.machine.planned} (not confirmed by the guest)`)}</strong>${b.machine.from ? ` from ${esc(b.machine.from.slice(0, 12))}` : ''} · <code>${esc(b.machine.dir)}</code></p>`,
      );
    if (b.systemdAnalyze?.raw) parts.push(`<p><code>${esc(b.systemdAnalyze.raw)}</code></p>`);
    parts.push(
      `<p>Memory in use: ${bytes(b.memoryUsedBytes)} of ${bytes(b.memoryTotalBytes)} · Root disk: ${bytes(b.diskUsedBytes)} of ${bytes(b.diskSizeBytes)} · Failed units: ${b.failedUnits?.length ? esc(b.failedUnits.join(', ')) : 'none'}</p>`,
    );
    if (b.blame?.length)
      parts.push(`<h4>systemd-analyze blame (top 10)</h4>${bars(b.blame.map((x) => ({ label: x.unit, value: x.seconds })))}`);
  }
  return parts.join('\n');
}

/** An upgrade or rollback: what moved where, and the boots before and after side by side. */
function upgradeSection(r: RunRecord): string {
  const u = r.upgrade;
  if (!u) return '';
  const id = (x: { image: string; imageId: string }): string => `${esc(x.image)} (${esc(x.imageId.slice(0, 12))})`;
  const diff =
    u.diff === undefined
      ? '<p class="muted">No image diff for this upgrade (see the bootc Lab log for why).</p>'
      : diffSection(u.diff as ImageDiff);
  const before = u.before ? timeline(u.before) : '<p class="muted">No earlier boot recorded.</p>';
  const after = r.boot ? timeline(r.boot) : '<p class="muted">Not booted.</p>';
  return `<h3>${u.action === 'upgrade' ? 'Upgrade' : 'Rollback'}: ${id(u.from)} → ${id(u.to)}</h3>${diff}<div class="sidebyside"><div><h4>Before</h4>${before}</div><div><h4>After</h4>${after}</div></div>`;
}

function metric(r: RunRecord): Record<string, string> {
  const b = (r.boot ?? {}) as BootShape;
  const at = (s: string): string => {
    const v = b.states?.find((x) => x.state === s)?.at;
    return v === undefined ? '–' : `${v.toFixed(1)} s`;
  };
  return {
    Image: r.image ?? '–',
    'Image size': bytes(r.size),
    Layers: r.layers === undefined ? '–' : String(r.layers),
    'Build time': secs(r.durationMs),
    'Image findings': r.imageFindings ? String(r.imageFindings.length) : '–',
    Kernel: at('kernel'),
    Userspace: at('userspace'),
    Login: at('login'),
    'SSH ready': at('ssh'),
    'Memory in use': bytes(b.memoryUsedBytes),
    'Disk in use': bytes(b.diskUsedBytes),
    'Failed units': b.failedUnits ? String(b.failedUnits.length) : '–',
  };
}

export function compareSection(a: RunRecord, b: RunRecord): string {
  if (a.measurement && b.measurement) {
    // Older first: ratios read as "the later build costs N× the earlier one".
    const [earlier, later] = a.startedAt <= b.startedAt ? [a, b] : [b, a];
    const m = later.measurement;
    const e = earlier.measurement;
    if (m && e)
      return `<h2>Compare measurements</h2>${measurementSection(m, {
        label: `the earlier measurement ${earlier.id} (${new Date(earlier.startedAt).toLocaleString()})`,
        comparisons: compareMeasurements(e, m),
      })}`;
  }
  const ma = metric(a);
  const mb = metric(b);
  const rows = Object.keys(ma)
    .map((k) => `<tr><th scope="row">${esc(k)}</th><td>${esc(ma[k])}</td><td>${esc(mb[k])}</td></tr>`)
    .join('');
  return `<h2>Compare</h2><table><thead><tr><th></th><th>${esc(a.id)}</th><th>${esc(b.id)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function markdownOf(runs: RunRecord[]): string {
  const measured = runs.filter((r) => r.measurement);
  if (measured.length && measured.length === runs.length)
    return measured.map((r) => `# bootc Lab measurement ${r.id}\n\n${r.measurement ? toMarkdown(r.measurement) : ''}`).join('\n');
  const lines: string[] = ['# bootc Lab results', ''];
  const ms = runs.map(metric);
  const keys = Object.keys(ms[0] ?? {});
  lines.push(`| | ${runs.map((r) => r.id).join(' | ')} |`, `| --- |${runs.map(() => ' --- |').join('')}`);
  for (const k of keys) lines.push(`| ${k} | ${ms.map((m) => m[k]).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** The whole page. The script only posts messages; all data is rendered server-side into the HTML. */
export function resultsHtml(o: {
  runs: RunRecord[];
  selected?: string;
  compare?: [string, string];
  nonce: string;
  cspSource: string;
}): string {
  const sel = o.runs.find((r) => r.id === o.selected) ?? o.runs[0];
  const list = o.runs
    .map(
      (r) =>
        `<li><button class="run${r.id === sel?.id ? ' sel' : ''}" data-run="${esc(r.id)}" aria-pressed="${r.id === sel?.id}"><span class="badge ${esc(r.status)}">${esc(r.status)}</span> ${esc(r.kind)} · ${esc((r.image ?? '').replace(/^localhost\//, ''))} <span class="muted">${esc(new Date(r.startedAt).toLocaleTimeString())}</span></button> <label><input type="checkbox" class="cmp" value="${esc(r.id)}" ${o.compare?.includes(r.id) ? 'checked' : ''}> compare</label></li>`,
    )
    .join('');
  const cmpA = o.compare ? o.runs.find((r) => r.id === o.compare?.[0]) : undefined;
  const cmpB = o.compare ? o.runs.find((r) => r.id === o.compare?.[1]) : undefined;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${o.nonce}'; script-src 'nonce-${o.nonce}'; img-src ${o.cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>bootc Lab results</title>
<style nonce="${o.nonce}">
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);background:var(--vscode-editor-background);padding:0 16px}
.layout{display:grid;grid-template-columns:minmax(240px,320px) 1fr;gap:20px}
.sidebyside{display:flex;flex-wrap:wrap;gap:16px}.sidebyside>div{flex:1 1 320px;min-width:0;overflow-x:auto}
ul.runs{list-style:none;padding:0}ul.runs li{margin:4px 0}
button.run{background:transparent;color:var(--vscode-foreground);border:1px solid var(--vscode-panel-border);padding:4px 6px;cursor:pointer;text-align:left;width:75%}
button.run.sel,button.run:focus{outline:1px solid var(--vscode-focusBorder);background:var(--vscode-list-activeSelectionBackground);color:var(--vscode-list-activeSelectionForeground)}
.muted{color:var(--vscode-descriptionForeground)}.err{color:var(--vscode-errorForeground)}.ok{color:var(--vscode-testing-iconPassed)}
.badge{font-size:85%;padding:0 5px;border-radius:3px;background:var(--vscode-badge-background);color:var(--vscode-badge-foreground)}
.badge.failed{background:var(--vscode-inputValidation-errorBackground)}.badge.ok{background:var(--vscode-testing-iconPassed);color:var(--vscode-editor-background)}
svg text{fill:var(--vscode-foreground);font-size:12px}.bar{fill:var(--vscode-charts-blue)}.val{fill:var(--vscode-descriptionForeground)}
.seg0{fill:var(--vscode-charts-blue)}.seg1{fill:var(--vscode-charts-purple)}.seg2{fill:var(--vscode-charts-orange)}.seg3{fill:var(--vscode-charts-green)}.seg4{fill:var(--vscode-charts-yellow)}.seg5{fill:var(--vscode-charts-red)}
.seglbl{fill:var(--vscode-editor-background)!important;font-size:11px}.tick{font-size:10px}
a,.jump{color:var(--vscode-textLink-foreground);cursor:pointer}
table{border-collapse:collapse}th,td{border:1px solid var(--vscode-panel-border);padding:3px 8px;text-align:left}
li.error{color:var(--vscode-errorForeground)}
${MEASURE_CSS}
.toolbar button{margin-right:6px;background:var(--vscode-button-background);color:var(--vscode-button-foreground);border:none;padding:4px 10px;cursor:pointer}
</style></head><body>
<h1>bootc Lab results</h1>
<div class="toolbar"><button id="export-json">Export JSON</button><button id="export-md">Export Markdown</button><button id="export-csv">Export CSV</button><button id="compare">Compare selected</button><button id="refresh">Refresh</button></div>
<div class="layout"><nav aria-label="Runs"><h2>Runs</h2>${o.runs.length ? `<ul class="runs">${list}</ul>` : '<p class="muted">No runs yet. Build an image or boot a VM.</p>'}</nav>
<main>${cmpA && cmpB ? compareSection(cmpA, cmpB) : ''}${sel ? runSection(sel) : ''}</main></div>
<script nonce="${o.nonce}">
const vscode = acquireVsCodeApi();
const state = vscode.getState() || {};
const post = (m) => vscode.postMessage(m);
document.querySelectorAll('button.run').forEach((b) => b.addEventListener('click', () => { vscode.setState({ ...state, selected: b.dataset.run }); post({ type: 'select', id: b.dataset.run }); }));
document.querySelectorAll('.jump').forEach((el) => { const go = (e) => { e.preventDefault(); post({ type: 'jump', line: Number(el.dataset.line) }); }; el.addEventListener('click', go); el.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') go(e); }); });
document.getElementById('export-json').addEventListener('click', () => post({ type: 'export', format: 'json' }));
document.getElementById('export-md').addEventListener('click', () => post({ type: 'export', format: 'md' }));
document.getElementById('export-csv').addEventListener('click', () => post({ type: 'export', format: 'csv' }));
document.getElementById('refresh').addEventListener('click', () => post({ type: 'refresh' }));
document.getElementById('compare').addEventListener('click', () => { const ids = [...document.querySelectorAll('input.cmp:checked')].map((c) => c.value); post({ type: 'compare', ids }); });
</script></body></html>`;
}
