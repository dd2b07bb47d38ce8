import type { FileChange, PathGroup } from './tree-diff';
import type { ImageDiff, VarWarning } from './diff';

/** What an upgrade does with each group: the headline of its section. */
export const GROUP_TITLES: Record<PathGroup, string> = {
  usr: '/usr: replaced on upgrade',
  etc: '/etc: merged on upgrade (machines keep their local edits)',
  var: '/var: NOT applied to existing machines',
  boot: '/boot',
  other: 'Other paths',
};

const MARK: Record<FileChange['kind'], string> = { added: '+', removed: '-', modified: '~' };

export const formatBytes = (n: number): string => {
  const a = Math.abs(n);
  if (a >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (a >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (a >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
};

export function describeChange(c: FileChange): string {
  const bits: string[] = [];
  if (c.type === 'dir') bits.push('directory');
  if (c.type === 'symlink') bits.push(`-> ${c.target ?? '?'}`);
  if (c.type === 'other') bits.push('special file');
  if (c.differences?.length) bits.push(c.differences.join(', '));
  if (c.kind === 'modified' && c.oldSize !== undefined && c.size !== undefined && c.oldSize !== c.size)
    bits.push(`${formatBytes(c.oldSize)} → ${formatBytes(c.size)}`);
  else if (c.kind !== 'modified' && c.size !== undefined) bits.push(formatBytes(c.size));
  return bits.length ? ` (${bits.join('; ')})` : '';
}

/** `FILE:LINE:COL: warning [var-not-updated] …`, like the lint output, so editors and CI can jump to it. */
export function formatVarWarning(w: VarWarning, file?: string): string {
  const where = file && w.line ? `${file}:${w.line}:${w.column ?? 1}: ` : '';
  const by = !where && w.createdBy ? ` (written by: ${w.createdBy.length > 80 ? `${w.createdBy.slice(0, 79)}…` : w.createdBy})` : '';
  const base = where && w.attributedTo === 'base' ? ' (from the base image)' : '';
  return `${where}warning [var-not-updated] ${w.message}${base}${by}`;
}

/**
 * The diff as text. /etc, /var and /boot list every path (they decide what an upgrade does to a
 * machine); /usr and other paths list up to `limit` per group unless `all` is set.
 */
export function formatDiffText(d: ImageDiff, o: { all?: boolean; limit?: number } = {}): string {
  const limit = o.all ? Infinity : (o.limit ?? 40);
  const out: string[] = [];
  const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
  out.push(`${d.old.image} (${short(d.old.id)}) → ${d.new.image} (${short(d.new.id)})`);
  if (d.old.size !== undefined && d.new.size !== undefined) {
    const delta = d.new.size - d.old.size;
    out.push(`Size: ${formatBytes(d.old.size)} → ${formatBytes(d.new.size)} (${delta >= 0 ? '+' : ''}${formatBytes(delta)})`);
  }
  const k = d.kernel;
  const kOld = k.old.join(', ') || 'none';
  const kNew = k.new.join(', ') || 'none';
  out.push(`Kernel: ${kOld === kNew ? `${kNew} (unchanged)` : `${kOld} → ${kNew}`}`);
  const ka = d.kargs;
  if (ka.added.length || ka.removed.length)
    out.push(
      `Kernel arguments: ${[...ka.added.map((x) => `+${x}`), ...ka.removed.map((x) => `-${x}`)].join(' ')} (now: ${ka.new.join(' ') || 'none'})`,
    );
  else out.push(`Kernel arguments: ${ka.new.length ? `${ka.new.join(' ')} (unchanged)` : 'none'}`);
  for (const e of ka.errors) out.push(`  cannot parse ${e}`);

  const p = d.packages;
  if (!p.manager) out.push('Packages: no rpm, dpkg or pacman database found');
  else {
    const up = p.changed.filter((c) => c.direction === 'upgraded').length;
    out.push(
      `Packages (${p.manager}, ${p.oldCount} → ${p.newCount}): ${p.added.length} added, ${p.removed.length} removed, ${up} upgraded, ${p.changed.length - up} downgraded or changed`,
    );
    if (p.error) out.push(`  ${p.error}`);
    const arch = (a?: string): string => (a ? ` (${a})` : '');
    for (const x of p.added) out.push(`  + ${x.name} ${x.version}${arch(x.arch)}`);
    for (const x of p.removed) out.push(`  - ${x.name} ${x.version}${arch(x.arch)}`);
    for (const x of p.changed) out.push(`  ~ ${x.name} ${x.from} → ${x.to}${x.direction === 'upgraded' ? '' : ` (${x.direction})`}`);
  }

  const total = d.files.length;
  out.push(`Files: ${total === 0 ? 'no changes' : `${total} change${total === 1 ? '' : 's'}`}`);
  for (const g of Object.keys(GROUP_TITLES) as PathGroup[]) {
    const list = d.files.filter((c) => c.group === g);
    if (!list.length) continue;
    const s = d.summary[g];
    out.push(`${GROUP_TITLES[g]}: ${s.added} added, ${s.removed} removed, ${s.modified} modified`);
    const cap = g === 'usr' || g === 'other' ? limit : Infinity;
    for (const c of list.slice(0, cap)) out.push(`  ${MARK[c.kind]} ${c.path}${describeChange(c)}`);
    if (list.length > cap) out.push(`  …and ${list.length - cap} more (--all or --format json lists them)`);
  }
  if (d.varWarnings.length) {
    out.push('');
    for (const w of d.varWarnings) out.push(formatVarWarning(w, d.file));
  }
  return out.join('\n') + '\n';
}
