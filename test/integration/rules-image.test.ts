import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildModel, initShellParser } from '../../core/src';
import { listInitramfs } from '../../core/src/image/initramfs';
import { lintImage, type ImageLintReport } from '../../core/src/image/lint-image';
import { mountImage, unmountImage } from '../../core/src/podman/podman';
import { runBuild } from '../../core/src/podman/run-build';
import { ISOLATION, requirePodman } from './base-images';
import { ensureDebianBase } from './debian-base';

const FIX = path.join(__dirname, 'fixtures');
const OWN = ['dpkg-database-in-var', 'initramfs-bootc-module', 'var-link-tmpfiles'];

/** Builds a fixture (podman's layer cache makes reruns quick) and lints the image with attribution. */
async function buildAndLint(name: string): Promise<{ report: ImageLintReport; tag: string }> {
  const tag = `localhost/bootc-lab-test-rules-${name}:1`;
  const file = path.join(FIX, `rules-${name}`, 'Containerfile');
  const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const res = await runBuild({ file, context: path.dirname(file), tag, isolation: ISOLATION, model });
  assert.ok(res.ok, `build of ${name} failed: ${res.failure?.tail}`);
  return { report: await lintImage({ image: tag, model, runBootc: false }), tag };
}

const placed = (r: ImageLintReport): string[] =>
  r.findings.filter((f) => OWN.includes(f.lint)).map((f) => `${f.lint}@${f.range ? f.range.start.line + 1 : '-'}`);

describe('real podman: a Debian image with dracut, with and without the ostree module', { timeout: 1_800_000 }, () => {
  let plain: { report: ImageLintReport; tag: string };
  let ostree: { report: ImageLintReport; tag: string };

  before(async () => {
    requirePodman();
    ensureDebianBase();
    await initShellParser();
    plain = await buildAndLint('plain');
    ostree = await buildAndLint('ostree');
  });

  it('dracut without the ostree module: lint-image reports the initramfs on the RUN that ran dracut', () => {
    const f = plain.report.findings.find((x) => x.lint === 'initramfs-bootc-module');
    assert.ok(f, JSON.stringify(plain.report.findings, null, 2));
    assert.equal(f.severity, 'error');
    assert.equal(f.attributedTo, 'instruction');
    assert.match(f.paths[0] ?? '', /^\/usr\/lib\/modules\/[^/]+\/initramfs\.img$/);
    // Line 8 of rules-plain/Containerfile runs dracut; the dpkg status was last written by line 7, the link by line 9.
    assert.deepEqual(placed(plain.report).sort(), ['dpkg-database-in-var@7', 'initramfs-bootc-module@8', 'var-link-tmpfiles@9']);
    assert.deepEqual(plain.report.notes, []);
  });

  it('with ostree-boot (its dracut.conf.d file adds the module), dpkg moved and /var/home declared: none of the three', () => {
    assert.deepEqual(placed(ostree.report), [], JSON.stringify(ostree.report.findings, null, 2));
    assert.deepEqual(ostree.report.notes, []);
  });

  it('the two initramfs images really differ in ostree-prepare-root, as read by the cpio reader', async () => {
    const names = async (tag: string): Promise<{ names: string[]; compression: string; early: number }> => {
      const root = await mountImage({}, tag);
      try {
        const dir = path.join(root, 'usr/lib/modules');
        const kver = fs.readdirSync(dir).find((k) => fs.existsSync(path.join(dir, k, 'initramfs.img')));
        assert.ok(kver, `no initramfs.img in ${tag}`);
        const l = await listInitramfs(path.join(dir, kver, 'initramfs.img'));
        return { names: l.entries.map((e) => e.name), compression: l.compression, early: l.earlyEntries };
      } finally {
        await unmountImage({}, tag);
      }
    };
    const a = await names(plain.tag);
    const b = await names(ostree.tag);
    assert.ok(a.names.length > 100 && b.names.length > 100, `${a.names.length} / ${b.names.length} entries`);
    assert.ok(a.names.includes('usr/lib/systemd/systemd') || a.names.includes('lib/systemd/systemd'), 'a real initramfs was read');
    assert.equal(a.names.filter((n) => n.endsWith('ostree-prepare-root')).length, 0);
    assert.ok(
      b.names.some((n) => n.endsWith('usr/lib/ostree/ostree-prepare-root')),
      b.names.filter((n) => n.includes('ostree')).join(', '),
    );
    process.stdout.write(
      `# initramfs: plain ${a.compression}, ${a.early} early + ${a.names.length - a.early} entries; ostree ${b.compression}, ${b.early} early + ${b.names.length - b.early} entries\n`,
    );
  });
});
