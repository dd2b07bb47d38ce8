import type { ImageDiff } from '../../core/src/image/diff';
import { describeChange, GROUP_TITLES } from '../../core/src/image/diff-text';
import type { PathGroup } from '../../core/src/image/tree-diff';
import { bytes, esc } from './html';

const MARK = { added: '+', removed: '−', modified: '~' } as const;

/**
 * What an upgrade from one image to the next changes, as a results-view section: shown before an
 * upgrade is applied. /var warnings link to their instruction (`.jump` with `data-line`, wired by
 * the page's script). Lists longer than `limit` per group are cut with a count.
 */
export function diffSection(d: ImageDiff, o: { limit?: number } = {}): string {
  const limit = o.limit ?? 200;
  const parts: string[] = [];
  const short = (id: string): string => esc(id.replace(/^sha256:/, '').slice(0, 12));
  parts.push(`<h2>Upgrade: ${esc(d.old.image)} → ${esc(d.new.image)}</h2>`);
  const kOld = d.kernel.old.join(', ') || 'none';
  const kNew = d.kernel.new.join(', ') || 'none';
  const karg = [...d.kargs.added.map((k) => `+${k}`), ...d.kargs.removed.map((k) => `−${k}`)].join(' ');
  const rows: [string, string, string][] = [
    ['Image ID', short(d.old.id), short(d.new.id)],
    ['Size', bytes(d.old.size), bytes(d.new.size)],
    ['Kernel', esc(kOld), esc(kNew)],
    ['Kernel arguments', esc(d.kargs.old.join(' ') || 'none'), esc(d.kargs.new.join(' ') || 'none')],
    ['Packages', String(d.packages.oldCount), String(d.packages.newCount)],
  ];
  parts.push(
    `<table><thead><tr><th></th><th>Before</th><th>After</th></tr></thead><tbody>${rows
      .map(([k, a, b]) => `<tr><th scope="row">${esc(k)}</th><td>${a}</td><td${a === b ? '' : ' class="changed"'}>${b}</td></tr>`)
      .join('')}</tbody></table>`,
  );
  if (karg) parts.push(`<p>Kernel arguments change: <code>${esc(karg)}</code></p>`);
  for (const e of d.kargs.errors) parts.push(`<p class="err">Cannot parse ${esc(e)}</p>`);

  if (d.varWarnings.length) {
    const items = d.varWarnings
      .slice(0, limit)
      .map(
        (w) =>
          `<li class="warning">${w.line ? `<a href="#" class="jump" data-line="${w.line}">line ${w.line}</a>: ` : ''}${esc(w.message)}${!w.line && w.createdBy ? ` <span class="muted">(${esc(w.createdBy)})</span>` : ''}</li>`,
      )
      .join('');
    const more = d.varWarnings.length > limit ? `<li class="muted">…and ${d.varWarnings.length - limit} more</li>` : '';
    parts.push(
      `<h3>/var changes that will not reach existing machines (${d.varWarnings.length})</h3><ul class="var-warnings">${items}${more}</ul>`,
    );
  }

  const p = d.packages;
  if (!p.manager) parts.push('<h3>Packages</h3><p class="muted">No rpm, dpkg or pacman database found.</p>');
  else {
    const li = [
      ...p.added.map((x) => `<li>+ ${esc(x.name)} ${esc(x.version)}</li>`),
      ...p.removed.map((x) => `<li>− ${esc(x.name)} ${esc(x.version)}</li>`),
      ...p.changed.map(
        (x) => `<li>~ ${esc(x.name)} ${esc(x.from)} → ${esc(x.to)}${x.direction === 'upgraded' ? '' : ` (${esc(x.direction)})`}</li>`,
      ),
    ];
    parts.push(
      `<h3>Packages (${esc(p.manager)}): ${p.added.length} added, ${p.removed.length} removed, ${p.changed.length} changed</h3>${p.error ? `<p class="err">${esc(p.error)}</p>` : ''}${li.length ? `<ul>${li.join('')}</ul>` : ''}`,
    );
  }

  parts.push(`<h3>Files: ${d.files.length} change${d.files.length === 1 ? '' : 's'}</h3>`);
  for (const g of Object.keys(GROUP_TITLES) as PathGroup[]) {
    const list = d.files.filter((c) => c.group === g);
    if (!list.length) continue;
    const s = d.summary[g];
    const items = list
      .slice(0, limit)
      .map((c) => `<li class="${c.kind}">${MARK[c.kind]} <code>${esc(c.path)}</code>${esc(describeChange(c))}</li>`)
      .join('');
    const more = list.length > limit ? `<li class="muted">…and ${list.length - limit} more</li>` : '';
    // /etc and /var decide what happens to a running machine: open by default.
    const open = g === 'etc' || g === 'var' ? ' open' : '';
    parts.push(
      `<details${open}><summary>${esc(GROUP_TITLES[g])}: ${s.added} added, ${s.removed} removed, ${s.modified} modified</summary><ul class="files">${items}${more}</ul></details>`,
    );
  }
  return parts.join('\n');
}
