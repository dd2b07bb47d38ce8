/**
 * `npm run bench:boot`: on the Debian test image, (a) a bare hand-written QEMU direct boot of the same
 * kernel and root disk to the login prompt, (b) `bootc-lab boot --wait login` cold (no cache),
 * (c) the same warm (cached), (d) warm with machine state (`--state DIR`: read-only image, /etc and
 * /var from the state; the state's first boot, which seeds it, is shown apart); ratios to (a).
 * `--runs N` (default 3) repeats a, c and d in rotating order and compares medians: one TCG boot
 * varies by ±10% on this machine.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildModel, initShellParser } from '../core/src';
import { runBuild } from '../core/src/podman/run-build';
import { defaultCacheDir, prepareQuickBoot, quickCacheKey } from '../core/src/vm/prepare';
import { kvmUsable } from '../core/src/vm/qemu';
import { ensureDebianBase } from '../test/integration/debian-base';

const IMAGE = 'localhost/bootc-lab-test-debian-vm:1';
const CLI = path.join(__dirname, '../dist/cli.js');

/** The bare boot: no credentials, no sockets, no SSH; serial on stdout until "login:". */
function bareBoot(a: { kernel: string; initrd: string; rootDisk: string }, kvm: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const args = [
      '-nodefaults',
      '-display',
      'none',
      '-m',
      '1024',
      '-smp',
      '2',
      '-accel',
      kvm ? 'kvm' : 'tcg',
      '-cpu',
      kvm ? 'host' : 'max',
      '-machine',
      'q35',
      '-no-reboot',
      '-kernel',
      a.kernel,
      '-initrd',
      a.initrd,
      '-append',
      'root=/dev/vda rw console=ttyS0,115200 panic=-1',
      '-drive',
      `file=${a.rootDisk},if=virtio,format=raw,snapshot=on`,
      '-netdev',
      'user,id=n0',
      '-device',
      'virtio-net-pci,netdev=n0',
      '-serial',
      'stdio',
    ];
    const p = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let out = '';
    const timer = setTimeout(() => {
      process.kill(-(p.pid ?? 0), 'SIGKILL');
      reject(new Error('bare boot timed out'));
    }, 600_000);
    p.stdout.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
      if (/login:\s*$/m.test(out)) {
        const ms = performance.now() - t;
        clearTimeout(timer);
        process.kill(-(p.pid ?? 0), 'SIGKILL');
        resolve(ms);
      }
    });
  });
}

/**
 * Time from starting `bootc-lab boot --wait login` to its "login" state line, the moment its user sees
 * the prompt, as the bare boot is timed to "login:" on the serial line. The CLI then stops the VM
 * (with a state: `sync` over SSH first), which the bare boot's SIGKILL does not pay, so that part is
 * waited for (the next run must not overlap it) but not counted.
 */
function ourBoot(state?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const extra = state ? ['--state', state] : [];
    const p = spawn(
      process.execPath,
      [CLI, 'boot', IMAGE, '--wait', 'login', '--memory', '1024', '--cpus', '2', '--timeout', '600', ...extra],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    let atLogin: number | undefined;
    p.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
      if (atLogin === undefined && /\] login$/m.test(err)) atLogin = performance.now() - t;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0 || atLogin === undefined) reject(new Error(`bootc-lab boot failed (${code}): ${err}`));
      else resolve(atLogin);
    });
  });
}

async function main(): Promise<void> {
  await initShellParser();
  ensureDebianBase();
  const file = path.join(__dirname, '../test/integration/fixtures/debian-vm/Containerfile');
  const built = await runBuild({
    file,
    context: path.dirname(file),
    tag: IMAGE,
    isolation: process.env.BOOTC_LAB_TEST_ISOLATION ?? 'chroot',
    model: buildModel(fs.readFileSync(file, 'utf8')),
  });
  if (!built.ok) throw new Error(`build failed: ${built.failure?.tail}`);
  const kvm = kvmUsable().usable;
  const art = await prepareQuickBoot({ image: IMAGE });
  const runs = process.argv.includes('--runs') ? Math.max(1, Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3) : 3;
  // Cold: remove this image's cache entry so bootc-lab extracts the kernel and makes the disk again.
  fs.rmSync(path.join(defaultCacheDir(), quickCacheKey(art.imageId)), { recursive: true, force: true });
  const b = await ourBoot();
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-bench-state-'));
  const a: number[] = [];
  const c: number[] = [];
  const d: number[] = [];
  let first = 0;
  try {
    first = await ourBoot(state);
    // Rotating order, so drift on a shared host hits every variant alike.
    for (let i = 0; i < runs; i++) {
      const order = [0, 1, 2].map((k) => (k + i) % 3);
      for (const k of order) {
        if (k === 0) a.push(await bareBoot(art, kvm));
        else if (k === 1) c.push(await ourBoot());
        else d.push(await ourBoot(state));
      }
    }
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
  }
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)] ?? NaN;
  const all = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(1)).join(', ');
  const am = med(a);
  const cm = med(c);
  const dm = med(d);
  process.stdout.write(
    `bootc-lab boot benchmark (${new Date().toISOString()}, ${kvm ? 'KVM' : 'TCG: no usable KVM here'}, ${runs} run(s) of a, c, d; load average ${os.loadavg()[0]?.toFixed(1) ?? '?'})\n\n`,
  );
  process.stdout.write(
    [
      '| run | to login prompt (median) | every run | ratio to bare |',
      '| --- | ---: | --- | ---: |',
      `| (a) bare QEMU direct boot, same kernel and disk | ${(am / 1000).toFixed(1)} s | ${all(a)} | 1.00 |`,
      `| (b) bootc-lab boot --wait login, cold (no cache) | ${(b / 1000).toFixed(1)} s | | ${(b / am).toFixed(2)} (target ≤ 1.5 → ${b / am <= 1.5 ? 'met' : 'NOT met'}) |`,
      `| (c) bootc-lab boot --wait login, warm (cached), to its login line | ${(cm / 1000).toFixed(1)} s | ${all(c)} | ${(cm / am).toFixed(2)} (target ≤ 1.10 → ${cm / am <= 1.1 ? 'met' : 'NOT met'}) |`,
      `| (d0) warm, --state DIR, the state's first boot (seeds /etc and /var) | ${(first / 1000).toFixed(1)} s | | ${(first / am).toFixed(2)} |`,
      `| (d) warm, --state DIR, later boots (read-only image, /etc and /var from the state) | ${(dm / 1000).toFixed(1)} s | ${all(d)} | ${(dm / am).toFixed(2)} (target ≤ 1.10 → ${dm / am <= 1.1 ? 'met' : 'NOT met'}) |`,
    ].join('\n') + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
