import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ImageNotBootableError } from '../../core/src/vm/prepare';
import { exportPxeTree, preparePxeTree } from '../../core/src/vm/pxe';
import { CliError, UsageError, interruptible } from './image-commands';

/**
 * `bootc-lab export pxe IMAGE DIR [--base-url URL]`: the tree a PXE server needs (kernel, initramfs,
 * squashfs root, iPXE script, pxelinux and GRUB entries, SHA256SUMS). The iPXE script finds the
 * server by itself; the pxelinux and GRUB entries use --base-url for the root's URL.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'base-url': { type: 'string', default: 'http://PXE-SERVER/' },
      'cache-dir': { type: 'string' },
      podman: { type: 'string' },
    },
  });
  const [kind, image, dir, ...rest] = positionals;
  if (kind !== 'pxe') throw new UsageError('export: only "export pxe IMAGE DIR" is supported');
  if (!image || !dir || rest.length) throw new UsageError('export pxe needs IMAGE and DIR');
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
    throw new UsageError(`${dir} is not empty: export into a new or empty directory`);
  const ac = interruptible();
  try {
    const tree = await preparePxeTree(
      { image, cacheDir: values['cache-dir'], podmanPath: values.podman, log: (l) => process.stderr.write(`${l}\n`) },
      { signal: ac.signal },
    );
    fs.mkdirSync(dir, { recursive: true });
    for (const f of exportPxeTree(tree, dir, values['base-url'])) process.stdout.write(`${path.join(dir, f)}\n`);
    process.stderr.write(`${tree.family} tree for ${image}: serve ${dir} over HTTP (and TFTP for pxelinux); iPXE: chain boot.ipxe.\n`);
    return 0;
  } catch (e) {
    if (e instanceof ImageNotBootableError) throw new CliError(e.message);
    throw e;
  } finally {
    ac.release();
  }
}
