import { parseArgs } from 'node:util';
import { initShellParser, type ContainerfileModel } from '../../core/src';
import { diffImages } from '../../core/src/image/diff';
import { formatDiffText } from '../../core/src/image/diff-text';
import { podmanMissingMessage } from '../../core/src/podman/podman';
import { NotFoundError } from '../../core/src/process/run';
import { CliError, UsageError, interruptible, readModel } from './image-commands';

/**
 * `bootc-lab diff OLD NEW`: what upgrading a machine from OLD to NEW changes. Exits 0 once the
 * comparison is made (differences are the output, not a failure), 2 when it cannot be made, 130 on cancel.
 */
export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f' },
      format: { type: 'string', default: 'text' },
      content: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      connection: { type: 'string' },
      podman: { type: 'string' },
    },
  });
  const [oldImage, newImage] = positionals;
  if (!oldImage || !newImage || positionals.length > 2) throw new UsageError('diff needs two images: OLD NEW');
  if (!['text', 'json'].includes(values.format ?? '')) throw new UsageError(`unknown --format ${values.format} (expected text or json)`);
  let model: ContainerfileModel | undefined;
  if (values.file) {
    await initShellParser();
    model = readModel(values.file);
  }
  const ac = interruptible();
  try {
    const d = await diffImages({
      oldImage,
      newImage,
      file: values.file,
      model,
      content: values.content,
      podmanPath: values.podman,
      connection: values.connection,
      signal: ac.signal,
      log: (l) => process.stderr.write(`bootc-lab: ${l}\n`),
    });
    process.stdout.write(values.format === 'json' ? JSON.stringify(d, null, 2) + '\n' : formatDiffText(d, { all: values.all }));
    return 0;
  } catch (e) {
    if (e instanceof NotFoundError) throw new CliError(podmanMissingMessage('pass --podman PATH if it is installed elsewhere'));
    if (ac.signal.aborted) return 130;
    throw new CliError((e as Error).message);
  } finally {
    ac.release();
  }
}
