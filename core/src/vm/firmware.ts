import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** UEFI firmware for an install boot: the code and the template of its variable store, with their formats. */
export interface Firmware {
  code: string;
  vars: string;
  codeFormat: 'raw' | 'qcow2';
  varsFormat: 'raw' | 'qcow2';
  features: string[];
  /** Secure-boot builds only run with SMM on and a secure pflash. */
  requiresSmm: boolean;
  /** Where it came from: a descriptor file, the setting, or the built-in list. */
  source: string;
}

/** Where to look; tests point these at a scratch tree. */
export interface FirmwareSearch {
  /** Descriptor directories, lowest priority first (a same-named file in a later one replaces an earlier one). */
  descriptorDirs?: string[];
  /** Prefix for the built-in list of well-known paths. */
  root?: string;
}

/** QEMU's own search order (docs/interop/firmware.json): the distribution's, the admin's, the user's. */
export function defaultDescriptorDirs(): string[] {
  const config = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return ['/usr/share/qemu/firmware', '/etc/qemu/firmware', path.join(config, 'qemu/firmware')];
}

const format = (v: unknown, file: string): 'raw' | 'qcow2' =>
  v === 'qcow2' || (v === undefined && file.endsWith('.qcow2')) ? 'qcow2' : 'raw';

/** One descriptor, if it is split-flash UEFI firmware for x86_64 q35; anything else (BIOS, SEV, memory, other arches) is skipped. */
export function parseFirmwareDescriptor(text: string, source: string): Firmware | undefined {
  let d: {
    'interface-types'?: string[];
    mapping?: {
      device?: string;
      mode?: string;
      executable?: { filename?: string; format?: string };
      'nvram-template'?: { filename?: string; format?: string };
    };
    targets?: { architecture?: string; machines?: string[] }[];
    features?: string[];
  };
  try {
    d = JSON.parse(text) as typeof d;
  } catch {
    return undefined;
  }
  if (!d['interface-types']?.includes('uefi')) return undefined;
  const m = d.mapping;
  if (m?.device !== 'flash' || (m.mode !== undefined && m.mode !== 'split')) return undefined;
  const code = m.executable?.filename;
  const vars = m['nvram-template']?.filename;
  if (!code || !vars) return undefined;
  const q35 = (d.targets ?? []).some(
    (t) =>
      t.architecture === 'x86_64' &&
      (t.machines ?? []).some((g) => new RegExp(`^${g.replace(/[.+]/g, '\\$&').replace(/\*/g, '.*')}$`).test('pc-q35-9.0')),
  );
  if (!q35) return undefined;
  const features = d.features ?? [];
  return {
    code,
    vars,
    codeFormat: format(m.executable?.format, code),
    varsFormat: format(m['nvram-template']?.format, vars),
    features,
    requiresSmm: features.includes('requires-smm'),
    source,
  };
}

/** Descriptors in QEMU's priority order: by file name across all directories, later directories overriding. */
export function readDescriptors(dirs = defaultDescriptorDirs()): Firmware[] {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
    } catch {
      continue;
    }
    for (const n of names) byName.set(n, path.join(dir, n));
  }
  const out: Firmware[] = [];
  for (const name of [...byName.keys()].sort()) {
    const file = byName.get(name) ?? '';
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // An empty file masks a descriptor of the same name, as in QEMU.
    const fw = text.trim() ? parseFirmwareDescriptor(text, file) : undefined;
    if (fw) out.push(fw);
  }
  return out;
}

/** Known pairs when no descriptor is installed: Debian/Ubuntu, Fedora/RHEL (incl. secure-boot-only), Arch, openSUSE. */
const KNOWN: [code: string, vars: string][] = [
  ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
  ['/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd'],
  ['/usr/share/edk2/ovmf/OVMF_CODE_4M.qcow2', '/usr/share/edk2/ovmf/OVMF_VARS_4M.qcow2'],
  ['/usr/share/edk2/x64/OVMF_CODE.4m.fd', '/usr/share/edk2/x64/OVMF_VARS.4m.fd'],
  ['/usr/share/edk2-ovmf/x64/OVMF_CODE.fd', '/usr/share/edk2-ovmf/x64/OVMF_VARS.fd'],
  ['/usr/share/qemu/ovmf-x86_64-code.bin', '/usr/share/qemu/ovmf-x86_64-vars.bin'],
  ['/usr/share/OVMF/OVMF_CODE_4M.secboot.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd'],
];

const isSecure = (code: string): boolean => /secboot|secure|\.ms\./i.test(path.basename(code));

function guessed(code: string, vars: string, source: string): Firmware {
  return {
    code,
    vars,
    codeFormat: format(undefined, code),
    varsFormat: format(undefined, vars),
    features: [],
    requiresSmm: isSecure(code),
    source,
  };
}

/** Variable-store names that go with a code file: CODE→VARS, without a secure-boot or key-set suffix. */
export function varsCandidates(code: string): string[] {
  const dir = path.dirname(code);
  const base = path.basename(code);
  const swapped = base.replace(/CODE/g, 'VARS').replace(/code/g, 'vars');
  const plain = swapped.replace(/\.(secboot|ms|snakeoil)(?=\.)/, '');
  return [...new Set([swapped, plain])].filter((n) => n !== base).map((n) => path.join(dir, n));
}

/** Prefers firmware that boots an unsigned or self-signed loader: no enrolled keys, then no SMM. */
const rank = (f: Firmware): number => (f.features.includes('enrolled-keys') ? 2 : 0) + (f.requiresSmm ? 1 : 0);

/**
 * UEFI firmware for install boots. `configured` is a descriptor (.json) or a code file: its
 * variable store comes from a descriptor naming that code file, else from the names next to it.
 * Without it, QEMU's firmware descriptors decide, then a list of well-known paths.
 */
export function findFirmware(configured?: string, search: FirmwareSearch = {}): Firmware | undefined {
  const exists = (f: string): boolean => fs.existsSync(f);
  const descriptors = readDescriptors(search.descriptorDirs ?? defaultDescriptorDirs()).filter((f) => exists(f.code) && exists(f.vars));
  if (configured) {
    if (configured.endsWith('.json')) {
      let text = '';
      try {
        text = fs.readFileSync(configured, 'utf8');
      } catch {
        return undefined;
      }
      const fw = parseFirmwareDescriptor(text, configured);
      return fw && exists(fw.code) && exists(fw.vars) ? fw : undefined;
    }
    if (!exists(configured)) return undefined;
    const real = fs.realpathSync(configured);
    const described = descriptors.find((f) => fs.realpathSync(f.code) === real);
    if (described) return { ...described, code: configured };
    const vars = varsCandidates(configured).find(exists);
    return vars ? guessed(configured, vars, 'setting') : undefined;
  }
  const best = [...descriptors].sort((a, b) => rank(a) - rank(b))[0];
  if (best) return best;
  const root = search.root ?? '';
  for (const [code, vars] of KNOWN) {
    if (exists(root + code) && exists(root + vars)) return guessed(root + code, root + vars, 'well-known paths');
  }
  return undefined;
}

export function firmwareMissingMessage(configured?: string): string {
  if (configured)
    return `The UEFI firmware ${configured} (bootcLab.vm.firmware / --firmware) was not found, or no variable store goes with it: name a QEMU firmware descriptor (/usr/share/qemu/firmware/*.json) instead, which lists both.`;
  return 'No UEFI firmware found for install boot: install OVMF (Fedora/RHEL: sudo dnf install edk2-ovmf; Debian/Ubuntu: sudo apt-get install ovmf; Arch: sudo pacman -S edk2-ovmf) or set bootcLab.vm.firmware (--firmware) to a firmware descriptor or OVMF code file.';
}
