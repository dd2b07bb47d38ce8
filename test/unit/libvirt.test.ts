import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultDomainName,
  domainXml,
  explainVirshFailure,
  parseMeta,
  validDomainName,
  type DomainMeta,
  type DomainSpec,
} from '../../core/src/vm/libvirt';

const meta: DomainMeta = {
  image: 'localhost/my image:1',
  imageId: 'abc',
  mode: 'quick',
  sshPort: 40022,
  dir: "/var/lib/libvirt/images/bootc-lab/it's & <odd>",
  consoleLog: "/var/lib/libvirt/images/bootc-lab/it's & <odd>/console.log",
  privateKey: "/var/lib/libvirt/images/bootc-lab/it's & <odd>/ssh/id_ed25519",
  created: '2026-01-01T00:00:00.000Z',
};

const spec: DomainSpec = {
  name: 'bootc-lab-x',
  kvm: false,
  memoryMb: 1024,
  cpus: 2,
  meta,
  disk: { path: `${meta.dir}/disk.qcow2`, format: 'qcow2' },
  direct: { kernel: `${meta.dir}/vmlinuz`, initrd: `${meta.dir}/initramfs.img`, cmdline: 'root=/dev/vda rw console=ttyS0,115200' },
  credentials: { 'tmpfiles.extra': 'd /root/.ssh 0700 root root -\n' },
};

describe('libvirt domain XML', () => {
  const xml = domainXml(spec);

  it('forwards SSH on 127.0.0.1 only, through qemu:commandline (libvirt 9.0 drops portForward without passt)', () => {
    assert.match(xml, /<qemu:arg value='user,id=bootclab0,hostfwd=tcp:127\.0\.0\.1:40022-:22'\/>/);
    assert.doesNotMatch(xml, /hostfwd=tcp::|hostfwd=tcp:0\.0\.0\.0/);
    assert.match(xml, /xmlns:qemu='http:\/\/libvirt\.org\/schemas\/domain\/qemu\/1\.0'/);
    assert.doesNotMatch(xml, /<interface/);
  });

  it('passes the SSH key as a systemd credential in SMBIOS type 11 OEM strings', () => {
    const b64 = Buffer.from('d /root/.ssh 0700 root root -\n').toString('base64');
    assert.ok(xml.includes(`<entry>io.systemd.credential.binary:tmpfiles.extra=${b64}</entry>`), xml);
    assert.match(xml, /<smbios mode='sysinfo'\/>/);
  });

  it('direct-boots quick mode, logs the serial console to a file, and uses TCG without KVM', () => {
    assert.match(xml, /<domain type='qemu'/);
    assert.match(xml, /<cmdline>root=\/dev\/vda rw console=ttyS0,115200<\/cmdline>/);
    assert.match(xml, /<serial type='pty'>\s*<log file='[^']*console\.log' append='off'\/>/);
    assert.doesNotMatch(xml, /<loader/);
    assert.match(domainXml({ ...spec, kvm: true }), /<domain type='kvm'[\s\S]*host-passthrough/);
  });

  it('boots install mode with UEFI and a per-domain NVRAM', () => {
    const u = domainXml({
      ...spec,
      direct: undefined,
      uefi: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd', vars: '/d/OVMF_VARS.fd' },
    });
    assert.match(u, /<loader readonly='yes' type='pflash'>\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd<\/loader>/);
    assert.match(u, /<nvram template='\/usr\/share\/OVMF\/OVMF_VARS_4M\.fd'>\/d\/OVMF_VARS\.fd<\/nvram>/);
    assert.doesNotMatch(u, /<kernel>/);
  });

  it('escapes paths with quotes, ampersands and angle brackets', () => {
    assert.ok(xml.includes("<source file='/var/lib/libvirt/images/bootc-lab/it&apos;s &amp; &lt;odd&gt;/disk.qcow2'/>"), xml);
    assert.doesNotMatch(xml, /it's/);
  });

  it('reads its metadata back from dumpxml and from virsh metadata, and ignores other domains', () => {
    assert.deepEqual(parseMeta(xml), meta);
    const stripped = `<vm>\n${xml
      .split('\n')
      .filter((l) => /<bootc-lab:(?!vm)/.test(l))
      .map((l) => l.replace(/bootc-lab:/g, ''))
      .join('\n')}\n</vm>\n`;
    assert.deepEqual(parseMeta(stripped), meta);
    assert.equal(
      parseMeta("<domain><metadata><x:vm xmlns:x='https://example.org/other'><x:dir>/</x:dir></x:vm></metadata></domain>"),
      undefined,
    );
  });
});

describe('libvirt names and messages', () => {
  it('derives a valid default name from the image', () => {
    assert.equal(defaultDomainName('localhost/bootc-lab-test-net-vm:1'), 'bootc-lab-bootc-lab-test-net-vm-1');
    assert.ok(validDomainName(defaultDomainName('quay.io/a/b@sha256:0123')));
    assert.equal(validDomainName('../etc'), false);
    assert.equal(validDomainName('a b'), false);
  });

  it('says how to start libvirtd, or how to get access, from virsh errors', () => {
    assert.match(
      explainVirshFailure(
        "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
        'qemu:///system',
      ),
      /libvirt is not running.*libvirtd -d/,
    );
    assert.match(
      explainVirshFailure("error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied", 'qemu:///system'),
      /usermod -aG libvirt.*qemu:\/\/\/session/,
    );
  });
});
