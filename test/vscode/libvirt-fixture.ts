import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { domainXml } from '../../core/src/vm/libvirt';

export const LIBVIRT = 'qemu:///system';

export function virsh(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('virsh', ['-q', '-c', LIBVIRT, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/**
 * A real libvirt domain with bootc Lab's metadata and marker file, defined but never started: the
 * VMs view reads libvirt, it does not need a boot. (Domains without the metadata are never listed:
 * core's listDomains, covered by the libvirt unit and integration tests.) One define only: on a
 * machine with /dev/kvm present but unusable, libvirt 9 probes QEMU again on every define (70 s
 * measured here under TCG). Returns the directory that stands for the domain's files.
 */
export function defineTestDomain(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  fs.writeFileSync(path.join(dir, '.bootc-lab-domain'), `${name}\n`);
  const xml = domainXml({
    name,
    kvm: false,
    memoryMb: 256,
    cpus: 1,
    meta: {
      image: 'localhost/bootc-lab-suite:1',
      imageId: 'sha256:' + '0'.repeat(64),
      mode: 'quick',
      sshPort: 2222,
      dir,
      consoleLog: path.join(dir, 'console.log'),
      privateKey: path.join(dir, 'ssh', 'id'),
      created: new Date().toISOString(),
    },
    disk: { path: path.join(dir, 'disk.qcow2'), format: 'qcow2' },
    direct: { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initramfs.img'), cmdline: 'console=ttyS0' },
  });
  const file = path.join(dir, 'domain.xml');
  fs.writeFileSync(file, xml);
  const r = virsh(['define', file]);
  if (r.status !== 0) throw new Error(`virsh define failed: ${r.stderr}`);
  return dir;
}

/** Removes the test domain and its directory if a failed run left them. */
export function removeTestDomain(name: string, dir: string): void {
  if (virsh(['domstate', name]).status === 0) virsh(['undefine', name]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
