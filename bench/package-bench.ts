/**
 * `npm run bench:package`: VSIX size, and activation time in real VS Code (code-server): from the
 * extension's activate() to the first diagnostics published for an opened Containerfile, as the
 * extension logs it. Targets: VSIX ≤ 3 MB, activation ≤ 100 ms.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodeServer, packageVsix } from '../test/e2e/harness';

function findLogs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

async function main(): Promise<void> {
  const vsix = packageVsix();
  const size = fs.statSync(vsix).size;
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-bench-ws-'));
  fs.writeFileSync(
    path.join(ws, 'Containerfile'),
    'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd\nRUN bootc container lint\n',
  );
  const runs: { diag: number; server: number; act: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const cs = new CodeServer(ws, { 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false });
    try {
      cs.installVsix(vsix);
      await cs.start();
      await cs.open('Containerfile');
      await cs.problems('problems', { has: ['package-manager-leftovers'] });
      const text = findLogs(cs.userData)
        .map((f) => fs.readFileSync(f, 'utf8'))
        .join('\n');
      const diag = /first diagnostics (\d+) ms after the first Containerfile was opened/.exec(text);
      const server = /language server started (\d+) ms after activation/.exec(text);
      const act = /activated in (\d+) ms/.exec(text);
      if (!diag || !server || !act) throw new Error('the extension log has no activation timings');
      runs.push({ diag: Number(diag[1]), server: Number(server[1]), act: Number(act[1]) });
    } finally {
      await cs.stop();
    }
  }
  fs.rmSync(ws, { recursive: true, force: true });
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1] ?? NaN;
  const diag = med(runs.map((r) => r.diag));
  process.stdout.write(
    [
      `bootc-lab package benchmark (${new Date().toISOString()}, code-server, 3 runs)`,
      '',
      '| measure | value | target |',
      '| --- | ---: | --- |',
      `| VSIX size | ${(size / 1024 / 1024).toFixed(2)} MB | ≤ 3 MB → ${size <= 3 * 1024 * 1024 ? 'met' : 'NOT met'} |`,
      `| activate() (median) | ${med(runs.map((r) => r.act))} ms | ≤ 100 ms → ${med(runs.map((r) => r.act)) <= 100 ? 'met' : 'NOT met'} |`,
      `| activation → language server running (median) | ${med(runs.map((r) => r.server))} ms | |`,
      `| first Containerfile opened → its diagnostics (median) | ${diag} ms | |`,
      `| all runs (activate / server / diagnostics, ms) | ${runs.map((r) => `${r.act}/${r.server}/${r.diag}`).join(', ')} | |`,
    ].join('\n') + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
