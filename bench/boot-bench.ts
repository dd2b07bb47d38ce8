/**
 * `npm run bench:boot`: on the Debian test image, (a) a bare hand-written QEMU direct boot of the same
 * kernel and root disk to the login prompt, (b) `bootc-lab boot --wait login` cold (no cache),
 * (c) the same warm (cached); ratios b/a and c/a.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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

function ourBoot(): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'boot', IMAGE, '--wait', 'login', '--memory', '1024', '--cpus', '2', '--timeout', '600'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bootc-lab boot failed: ${r.stderr}`);
  return performance.now() - t;
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
  const a = await bareBoot(art, kvm);
  // Cold: remove this image's cache entry so bootc-lab extracts the kernel and makes the disk again.
  const inspectId = art.imageId;
  fs.rmSync(path.join(defaultCacheDir(), quickCacheKey(inspectId)), { recursive: true, force: true });
  const b = ourBoot();
  const c = ourBoot();
  process.stdout.write(`bootc-lab boot benchmark (${new Date().toISOString()}, ${kvm ? 'KVM' : 'TCG: no usable KVM here'})\n\n`);
  process.stdout.write(
    [
      '| run | to login prompt | ratio to bare |',
      '| --- | ---: | ---: |',
      `| (a) bare QEMU direct boot, same kernel and disk | ${(a / 1000).toFixed(1)} s | 1.00 |`,
      `| (b) bootc-lab boot --wait login, cold (no cache) | ${(b / 1000).toFixed(1)} s | ${(b / a).toFixed(2)} (target ≤ 1.5 → ${b / a <= 1.5 ? 'met' : 'NOT met'}) |`,
      `| (c) bootc-lab boot --wait login, warm (cached) | ${(c / 1000).toFixed(1)} s | ${(c / a).toFixed(2)} (target ≤ 1.10 → ${c / a <= 1.1 ? 'met' : 'NOT met'}) |`,
    ].join('\n') + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
