import * as path from 'node:path';
import { podmanGlobal } from '../podman/build';
import type { PodmanTarget } from '../podman/podman';
import type { CommandSpec } from '../process/run';
import { shortId } from './machine-state';

/**
 * Install mode: the VM runs the real bootc, so upgrade and rollback are bootc's own commands run over
 * SSH. These builders and the `bootc status` parser are pure; they were checked against recorded
 * output written from bootc's documentation, not against a running bootc (none is available here).
 */

/** Transports `bootc switch --transport` accepts. */
export type BootcTransport = 'registry' | 'oci' | 'oci-archive' | 'containers-storage' | 'dir';

/** Where the new image's archive goes in the guest: /var survives the reboot, and one name per image ID
 * avoids bootc's "switch to the same reference does nothing" (bootc#1024). */
export function guestArchivePath(imageId: string): string {
  return `/var/tmp/bootc-lab/${shortId(imageId)}.ociarchive`;
}

/** `podman save` of the image as an OCI archive on the host, to copy into the VM. */
export function saveArchiveCommand(o: PodmanTarget & { image: string; out: string }): CommandSpec {
  return { command: o.podmanPath ?? 'podman', args: [...podmanGlobal(o), 'save', '--format', 'oci-archive', '-o', o.out, o.image] };
}

/** `scp` of a host file into the VM over its forwarded SSH port. */
export function copyIntoVmCommand(o: { privateKey: string; port: number; from: string; to: string }): CommandSpec {
  return {
    command: 'scp',
    args: [
      '-q',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-P',
      String(o.port),
      '-i',
      o.privateKey,
      '--',
      o.from,
      `root@127.0.0.1:${o.to}`,
    ],
  };
}

export function bootcSwitchArgv(o: { transport: BootcTransport; image: string; apply?: boolean; retain?: boolean }): string[] {
  return ['bootc', 'switch', '--transport', o.transport, ...(o.retain ? ['--retain'] : []), ...(o.apply ? ['--apply'] : []), o.image];
}

export function bootcUpgradeArgv(o: { apply?: boolean; check?: boolean } = {}): string[] {
  return ['bootc', 'upgrade', ...(o.check ? ['--check'] : []), ...(o.apply ? ['--apply'] : [])];
}

export function bootcRollbackArgv(o: { apply?: boolean } = {}): string[] {
  return ['bootc', 'rollback', ...(o.apply ? ['--apply'] : [])];
}

export function bootcStatusArgv(): string[] {
  return ['bootc', 'status', '--format', 'json'];
}

/** The guest-side steps of an upgrade to a host image copied in as `archive`: make its directory, switch. */
export function upgradeSteps(archive: string): string[][] {
  return [['mkdir', '-p', path.posix.dirname(archive)], bootcSwitchArgv({ transport: 'oci-archive', image: archive })];
}

/** ssh joins its arguments into one string the guest's shell parses: quote each word for it. */
export function remoteShellCommand(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface BootcDeployment {
  image?: string;
  transport?: string;
  imageDigest?: string;
  version?: string;
  timestamp?: string;
  /** The ostree commit of the deployment (ostree backend). */
  checksum?: string;
  /** The composefs image's fs-verity digest (composefs backend), and the boot loader bootc manages there. */
  composefsVerity?: string;
  bootloader?: string;
  pinned: boolean;
  incompatible: boolean;
}

export interface BootcStatus {
  apiVersion: string;
  /** The image the host follows (`spec.image`), if any. */
  specImage?: { image: string; transport?: string };
  booted?: BootcDeployment;
  staged?: BootcDeployment;
  rollback?: BootcDeployment;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function deployment(v: unknown): BootcDeployment | undefined {
  const d = obj(v);
  if (!d) return undefined;
  const img = obj(d.image);
  const ref = obj(img?.image);
  return {
    image: str(ref?.image),
    transport: str(ref?.transport),
    imageDigest: str(img?.imageDigest),
    version: str(img?.version),
    timestamp: str(img?.timestamp),
    checksum: str(obj(d.ostree)?.checksum),
    composefsVerity: str(obj(d.composefs)?.verity),
    bootloader: str(obj(d.composefs)?.bootloader),
    pinned: d.pinned === true,
    incompatible: d.incompatible === true,
  };
}

/** Parses `bootc status --format json`; throws on anything that is not a BootcHost. */
export function parseBootcStatus(text: string): BootcStatus {
  let doc: Json | undefined;
  try {
    doc = obj(JSON.parse(text));
  } catch (e) {
    throw new Error(`bootc status did not print JSON: ${(e as Error).message}`);
  }
  const apiVersion = str(doc?.apiVersion) ?? '';
  if (!doc || !apiVersion.startsWith('org.containers.bootc/') || doc.kind !== 'BootcHost')
    throw new Error(`bootc status printed no BootcHost (apiVersion ${apiVersion || 'missing'}, kind ${String(doc?.kind)})`);
  const spec = obj(obj(doc.spec)?.image);
  const status = obj(doc.status);
  const specImage = str(spec?.image);
  return {
    apiVersion,
    specImage: specImage ? { image: specImage, transport: str(spec?.transport) } : undefined,
    booted: deployment(status?.booted),
    staged: deployment(status?.staged),
    rollback: deployment(status?.rollback),
  };
}
