import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './setup';
import { treeWriter } from '../tree';

/** The workspace every end-to-end host opens: a Containerfile with mistakes, an empty one, the Debian VM image. */
export function makeWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-ws-'));
  const w = treeWriter(ws);
  w(
    'bad/Containerfile',
    'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && systemctl start httpd\nEXPOSE 80\nRUN bootc container lint\n',
  );
  w('snippet/Containerfile', '');
  const vm = path.join(ROOT, 'test/integration/fixtures/debian-vm');
  for (const f of fs.readdirSync(vm)) w(`vm/${f}`, fs.readFileSync(path.join(vm, f), 'utf8'));
  // A real `bootc-lab measure --out` file from this kind of machine: the measurement page renders from it alone.
  w('measure/plain-quick.json', fs.readFileSync(path.join(ROOT, 'test/fixtures/measure/debian-plain-quick.json'), 'utf8'));
  return ws;
}
