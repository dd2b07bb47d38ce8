import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotFoundError, runChecked, type CommandSpec, type RunOptions } from '../process/run';

export interface CloudInitFiles {
  userData: string;
  metaData?: string;
}

/** `user-data` (and optional `meta-data`) in a folder, or a user-data file given directly. */
export function findCloudInit(location: string | undefined): CloudInitFiles | undefined {
  if (!location || !fs.existsSync(location)) return undefined;
  if (fs.statSync(location).isFile()) {
    const meta = path.join(path.dirname(location), 'meta-data');
    return { userData: location, metaData: fs.existsSync(meta) ? meta : undefined };
  }
  const userData = path.join(location, 'user-data');
  if (!fs.existsSync(userData)) return undefined;
  const meta = path.join(location, 'meta-data');
  return { userData, metaData: fs.existsSync(meta) ? meta : undefined };
}

/** ISO 9660 writers that can label a volume `cidata`, in order of preference. */
export function seedCommands(iso: string, dir: string): CommandSpec[] {
  const files = [path.join(dir, 'user-data'), path.join(dir, 'meta-data')];
  return [
    { command: 'cloud-localds', args: [iso, files[0] ?? '', files[1] ?? ''] },
    { command: 'genisoimage', args: ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...files] },
    { command: 'xorriso', args: ['-as', 'mkisofs', '-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...files] },
    { command: 'mkisofs', args: ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...files] },
  ];
}

/**
 * A NoCloud seed image (volume label `cidata`) so an image that enables cloud-init gets the
 * workspace's user-data at first boot. meta-data defaults to a per-VM instance id.
 */
export async function makeSeedImage(files: CloudInitFiles, outDir: string, instanceId: string, ro: RunOptions = {}): Promise<string> {
  const dir = path.join(outDir, 'cidata');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(files.userData, path.join(dir, 'user-data'));
  if (files.metaData) fs.copyFileSync(files.metaData, path.join(dir, 'meta-data'));
  else fs.writeFileSync(path.join(dir, 'meta-data'), `instance-id: ${instanceId}\nlocal-hostname: bootc-lab\n`);
  const iso = path.join(outDir, 'seed.iso');
  for (const spec of seedCommands(iso, dir)) {
    try {
      await runChecked(spec, ro);
      return iso;
    } catch (e) {
      if (e instanceof NotFoundError) continue;
      throw e;
    }
  }
  throw new Error('No ISO writer found for the cloud-init seed: install genisoimage (Debian/Ubuntu), xorriso or cloud-image-utils.');
}
