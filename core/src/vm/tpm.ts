import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandSpec } from '../process/run';

/**
 * A software TPM 2.0 for one VM, for images that seal their LUKS key to a TPM
 * (install config `block = ["tpm2-luks"]`). `--terminate` ends swtpm when QEMU disconnects.
 */
export function swtpmCommand(o: { swtpmPath?: string; stateDir: string; socket: string }): CommandSpec {
  return {
    command: o.swtpmPath ?? 'swtpm',
    args: ['socket', '--tpm2', '--tpmstate', `dir=${o.stateDir}`, '--ctrl', `type=unixio,path=${o.socket}`, '--terminate'],
  };
}

/** QEMU's side: a CRB TPM (what q35 guests expect for TPM 2.0) backed by the swtpm socket. */
export function tpmQemuArgs(socket: string): string[] {
  return [
    '-chardev',
    `socket,id=chrtpm,path=${socket.replace(/,/g, ',,')}`,
    '-tpmdev',
    'emulator,id=tpm0,chardev=chrtpm',
    '-device',
    'tpm-crb,tpmdev=tpm0',
  ];
}

/** Starts swtpm in `dir` and resolves once its control socket exists. */
export async function startSwtpm(dir: string, swtpmPath?: string): Promise<{ socket: string; pid: number }> {
  const stateDir = path.join(dir, 'tpm');
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'swtpm.sock');
  const spec = swtpmCommand({ swtpmPath, stateDir, socket });
  const proc = spawn(spec.command, spec.args, { detached: true, stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    proc.once('spawn', () => resolve());
    proc.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new Error(
              'swtpm was not found: this image needs a TPM; install swtpm (Fedora: sudo dnf install swtpm; Debian/Ubuntu: sudo apt-get install swtpm).',
            )
          : e,
      ),
    );
  });
  proc.unref();
  for (let i = 0; i < 100 && !fs.existsSync(socket); i++) {
    if (proc.exitCode !== null) throw new Error(`swtpm exited (code ${proc.exitCode}) before creating its socket`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!fs.existsSync(socket)) throw new Error('swtpm did not create its socket within 5 s');
  return { socket, pid: proc.pid ?? 0 };
}
