import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NotFoundError, run, type RunResult } from '../process/run';

export type PackageManager = 'rpm' | 'dpkg' | 'pacman';

export interface InstalledPackage {
  name: string;
  /** Full version as the manager prints it (`epoch:version-release` for rpm). */
  version: string;
  arch?: string;
}

export interface PackageDb {
  manager?: PackageManager;
  /** Where the database was found, inside the image. */
  path?: string;
  packages: InstalledPackage[];
  /** Set when a database exists but could not be read. */
  error?: string;
}

export interface PackageChange {
  name: string;
  arch?: string;
  from: string;
  to: string;
  direction: 'upgraded' | 'downgraded' | 'changed';
}

export interface PackageDiff {
  manager?: PackageManager;
  added: InstalledPackage[];
  removed: InstalledPackage[];
  changed: PackageChange[];
  oldCount: number;
  newCount: number;
  error?: string;
}

/** Installed packages from a dpkg `status` file: stanzas whose Status says `installed`. */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (!name || !version) continue;
    const status = field('Status') ?? '';
    if (!/\binstalled$/.test(status) || /\bnot-installed$/.test(status)) continue;
    out.push({ name, version, arch: field('Architecture') });
  }
  return out;
}

/** One package from a pacman `local/<name>-<ver>/desc` file (`%NAME%`, `%VERSION%`, `%ARCH%` sections). */
export function parsePacmanDesc(text: string): InstalledPackage | undefined {
  const sections = new Map<string, string>();
  const re = /^%([A-Z0-9]+)%\n([^\n]*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) sections.set(m[1] ?? '', (m[2] ?? '').trim());
  const name = sections.get('NAME');
  const version = sections.get('VERSION');
  if (!name || !version) return undefined;
  return { name, version, arch: sections.get('ARCH') };
}

const RPM_DBS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];
const DPKG_STATUS = ['var/lib/dpkg/status', 'usr/lib/sysimage/dpkg/status'];

const nonEmptyDir = (p: string): boolean => {
  try {
    return fs.readdirSync(p).length > 0;
  } catch {
    return false;
  }
};

/**
 * The host's rpm reads a copy of the database: sqlite must create its lock and shared-memory files
 * next to the database, which fails on a read-only image mount (and must not write into a writable one).
 */
async function queryRpmDb(dir: string, o: { rpmPath?: string; signal?: AbortSignal }): Promise<RunResult> {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-rpmdb-'));
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }))
      if (e.isFile() && !e.name.startsWith('.')) fs.copyFileSync(path.join(dir, e.name), path.join(copy, e.name));
    return await run(
      {
        command: o.rpmPath ?? 'rpm',
        args: ['--dbpath', copy, '-qa', '--queryformat', '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'],
      },
      { signal: o.signal, timeoutMs: 120_000 },
    );
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * The packages installed in a root filesystem. The rpm database is sqlite (or Berkeley DB in old
 * images), which Node cannot read without a native module, so the host's `rpm` reads it with
 * `--dbpath`; without one the result says so instead of guessing.
 */
export async function readPackages(root: string, o: { rpmPath?: string; signal?: AbortSignal } = {}): Promise<PackageDb> {
  for (const rel of RPM_DBS) {
    const dir = path.join(root, rel);
    if (!nonEmptyDir(dir)) continue;
    const where = `/${rel}`;
    try {
      const r = await queryRpmDb(dir, o);
      if (r.exitCode !== 0)
        return {
          manager: 'rpm',
          path: where,
          packages: [],
          error: `rpm could not read ${where}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
        };
      const packages = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [name = '', ev = '', arch] = l.split('\t');
          return { name, version: ev.replace(/^0:/, ''), arch: arch === '(none)' ? undefined : arch };
        });
      return { manager: 'rpm', path: where, packages };
    } catch (e) {
      if (e instanceof NotFoundError)
        return {
          manager: 'rpm',
          path: where,
          packages: [],
          error: `the rpm database at ${where} cannot be read here: it needs the rpm program on this machine (e.g. apt-get install rpm)`,
        };
      throw e;
    }
  }
  for (const rel of DPKG_STATUS) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(root, rel), 'utf8');
    } catch {
      continue;
    }
    return { manager: 'dpkg', path: `/${rel}`, packages: parseDpkgStatus(text) };
  }
  const local = path.join(root, 'var/lib/pacman/local');
  if (nonEmptyDir(local)) {
    const packages: InstalledPackage[] = [];
    for (const d of fs.readdirSync(local).sort()) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(local, d, 'desc'), 'utf8');
      } catch {
        continue;
      }
      const p = parsePacmanDesc(text);
      if (p) packages.push(p);
    }
    return { manager: 'pacman', path: '/var/lib/pacman/local', packages };
  }
  return { packages: [] };
}

/** Splits a version into alternating digit and letter runs, keeping `~` (sorts before anything) and `^`. */
const segments = (v: string): string[] => v.match(/~|\^|\d+|[a-zA-Z]+/g) ?? [];

/**
 * Orders two versions the way rpm and dpkg agree on for ordinary versions: epoch first, then runs
 * of digits numerically and letters lexically, `~` before everything (pre-releases). Exotic cases
 * where the two managers differ only affect whether a change reads "upgraded" or "downgraded".
 */
export function compareVersions(a: string, b: string): number {
  const epoch = (v: string): [number, string] => {
    const m = /^(\d+):(.*)$/.exec(v);
    return m ? [Number(m[1]), m[2] ?? ''] : [0, v];
  };
  const [ea, ra] = epoch(a);
  const [eb, rb] = epoch(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const sa = segments(ra);
  const sb = segments(rb);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    if (x === y) continue;
    if (x === '~') return -1;
    if (y === '~') return 1;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (nx !== ny) return nx ? 1 : -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function diffPackages(a: PackageDb, b: PackageDb): PackageDiff {
  const key = (p: InstalledPackage): string => `${p.name}\0${p.arch ?? ''}`;
  const ma = new Map(a.packages.map((p) => [key(p), p]));
  const mb = new Map(b.packages.map((p) => [key(p), p]));
  const out: PackageDiff = {
    manager: b.manager ?? a.manager,
    added: [],
    removed: [],
    changed: [],
    oldCount: a.packages.length,
    newCount: b.packages.length,
  };
  const errors = [a.error && `old image: ${a.error}`, b.error && `new image: ${b.error}`].filter(Boolean);
  if (errors.length) out.error = errors.join('; ');
  for (const [k, p] of mb) {
    const old = ma.get(k);
    if (!old) out.added.push(p);
    else if (old.version !== p.version) {
      const c = compareVersions(old.version, p.version);
      out.changed.push({
        name: p.name,
        arch: p.arch,
        from: old.version,
        to: p.version,
        direction: c < 0 ? 'upgraded' : c > 0 ? 'downgraded' : 'changed',
      });
    }
  }
  for (const [k, p] of ma) if (!mb.has(k)) out.removed.push(p);
  const byName = (x: { name: string }, y: { name: string }): number => x.name.localeCompare(y.name);
  out.added.sort(byName);
  out.removed.sort(byName);
  out.changed.sort(byName);
  return out;
}
