import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildModel, directoryContext, initShellParser, lintText } from '../../core/src';
import { lintImage, type ImageLintReport } from '../../core/src/image/lint-image';
import { runBuild } from '../../core/src/podman/run-build';
import { ISOLATION, ensureBusyboxBase, leftovers, leftSince, requirePodman } from './base-images';

const FIX = path.join(__dirname, 'fixtures');
const CLI = path.join(__dirname, '../../dist/cli.js');

async function build(name: string, tag: string, signal?: AbortSignal, onStep?: () => void) {
  const file = path.join(FIX, name, 'Containerfile');
  const model = buildModel(fs.readFileSync(file, 'utf8'), `file://${file}`);
  const res = await runBuild({ file, context: path.dirname(file), tag, isolation: ISOLATION, model, signal, onStep });
  return { res, model, file };
}

/** Polls `pgrep -f pattern` until processes are (or are no longer) there; returns its last output. */
async function pgrepUntil(pattern: string, present: boolean, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const out = spawnSync('pgrep', ['-fa', pattern], { encoding: 'utf8' }).stdout.trim();
    if ((out !== '') === present) return out;
    if (Date.now() > end)
      throw new Error(`${present ? 'no process' : 'still processes'} matching '${pattern}' after ${timeoutMs} ms: ${out}`);
    // Poll interval: process state has no event to wait on.
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('real podman: build, image lint, attribution', { timeout: 300_000 }, () => {
  let report: ImageLintReport;
  let staticLines: Map<string, number[]>;

  before(async () => {
    requirePodman();
    ensureBusyboxBase();
    await initShellParser();
    const { res, model, file } = await build('leaky', 'localhost/bootc-lab-test-leaky:1');
    assert.ok(res.ok, `build failed: ${res.failure?.tail}`);
    report = await lintImage({ image: 'localhost/bootc-lab-test-leaky:1', model });
    const lint = await lintText(fs.readFileSync(file, 'utf8'), `file://${file}`, { buildContext: directoryContext(path.dirname(file)) });
    staticLines = new Map();
    for (const f of lint.findings) staticLines.set(f.rule, [...(staticLines.get(f.rule) ?? []), f.range.start.line + 1]);
  });

  it('finds every planted problem and pins it to the instruction that caused it', () => {
    const got = report.findings.map((f) => `${f.lint}@${f.range ? f.range.start.line + 1 : '-'}`).sort();
    assert.deepEqual(got, [
      'bootc-kargs@11',
      'buildah-injected@5',
      'etc-usretc@6',
      'kernel@12',
      'nonempty-boot@10',
      'nonempty-run-tmp@7',
      'sysusers@9',
      'var-log@5',
      'var-run@8',
      'var-tmpfiles@5',
      'var-tmpfiles@8',
    ]);
    assert.equal(report.access, 'mount');
    assert.equal(report.attribution, 'layers');
    const sys = report.findings.find((f) => f.lint === 'sysusers');
    assert.match(sys?.message ?? '', /svc/);
    assert.ok(report.findings.every((f) => f.source === 'image'));
  });

  it('agrees with the typing-time rules on the same lines', () => {
    const pairs: [string, string][] = [
      ['var-log', 'var-content'],
      ['etc-usretc', 'usr-etc'],
      ['nonempty-run-tmp', 'runtime-tmpfs-content'],
      ['var-run', 'var-run-directory'],
      ['sysusers', 'useradd-without-sysusers'],
      ['nonempty-boot', 'boot-content'],
      ['bootc-kargs', 'kargs-syntax'],
    ];
    for (const [image, rule] of pairs) {
      const line = report.findings.find((f) => f.lint === image)?.range?.start.line;
      assert.ok(line !== undefined, image);
      assert.ok(
        (staticLines.get(rule) ?? []).includes(line + 1),
        `${rule} should fire on line ${line + 1} like ${image} (static: ${JSON.stringify(staticLines.get(rule))})`,
      );
    }
  });

  it('lint-image CLI prints the documented JSON and fails on fatal lints', () => {
    const file = path.join(FIX, 'leaky', 'Containerfile');
    const r = spawnSync(process.execPath, [CLI, 'lint-image', 'localhost/bootc-lab-test-leaky:1', '--file', file, '--format', 'json'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>[];
    const usretc = j.find((f) => f.rule === 'etc-usretc');
    assert.deepEqual(usretc && { ...usretc, message: undefined }, {
      file,
      line: 6,
      column: 1,
      endLine: 6,
      endColumn: 32,
      rule: 'etc-usretc',
      severity: 'error',
      message: undefined,
      source: 'image',
    });
    const noFile = spawnSync(process.execPath, [CLI, 'lint-image', 'localhost/bootc-lab-test-leaky:1', '--format', 'json'], {
      encoding: 'utf8',
    });
    assert.ok((JSON.parse(noFile.stdout) as Record<string, unknown>[]).every((f) => f.line === undefined && f.file === undefined));
  });

  it("runs the image's own bootc lint (podman run, else a throwaway build) and keeps one finding per problem", async () => {
    const { res, model } = await build('fake-bootc', 'localhost/bootc-lab-test-fake-bootc:1');
    assert.ok(res.ok, res.failure?.tail);
    const check = (r: ImageLintReport): void => {
      const varLog = r.findings.filter((f) => f.lint === 'var-log');
      assert.deepEqual(
        varLog.map((f) => [f.source, f.range?.start.line]),
        [['bootc', 4]],
        'bootc reported var-log: the port does not report it again',
      );
      assert.ok(
        r.findings.some((f) => f.lint === 'var-tmpfiles' && f.source === 'image'),
        'the port still reports what bootc did not',
      );
      assert.equal(r.bootc?.passed, 12);
    };
    // This machine's OCI runtime refuses rlimits: runc with explicit ulimits works for podman run ...
    const viaRun = await lintImage({
      image: 'localhost/bootc-lab-test-fake-bootc:1',
      model,
      runArgs: ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'],
    });
    assert.equal(viaRun.bootcVia, 'run', viaRun.bootcError);
    check(viaRun);
    // ... and with plain podman run refused, the throwaway build runs the same lint.
    const before = leftovers();
    const viaBuild = await lintImage({ image: 'localhost/bootc-lab-test-fake-bootc:1', model, isolation: ISOLATION });
    assert.equal(
      viaBuild.bootcVia,
      spawnSync('podman', ['run', '--rm', 'localhost/bootc-lab-test-fake-bootc:1', '/bin/true']).status === 0 ? 'run' : 'build',
      viaBuild.bootcError,
    );
    check(viaBuild);
    assert.deepEqual(leftSince(before), { mounts: [], containers: [] }, 'the throwaway build leaves nothing behind');
    // The CLI hands --isolation to the same fallback: a podman wrapper records the argv it was given.
    const file = path.join(FIX, 'fake-bootc', 'Containerfile');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bootc-lab-argv-'));
    const wrapper = path.join(tmp, 'podman');
    const argvLog = path.join(tmp, 'argv.log');
    fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec podman "$@"\n`, { mode: 0o755 });
    const cli = spawnSync(
      process.execPath,
      [
        CLI,
        'lint-image',
        'localhost/bootc-lab-test-fake-bootc:1',
        '--file',
        file,
        '--podman',
        wrapper,
        '--isolation',
        ISOLATION,
        '--format',
        'json',
      ],
      { encoding: 'utf8' },
    );
    const calls = fs.readFileSync(argvLog, 'utf8').split('\n');
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.ok(cli.stdout.trim(), cli.stderr);
    const throwaway = calls.filter((c) => c.startsWith('build '));
    if (viaBuild.bootcVia === 'build')
      assert.ok(throwaway.length === 1 && throwaway[0]?.includes(`--isolation=${ISOLATION}`), calls.join('\n'));
    const varLog = (JSON.parse(cli.stdout) as { rule: string; source: string; line?: number }[]).filter((f) => f.rule === 'var-log');
    assert.deepEqual(
      varLog.map((f) => [f.source, f.line]),
      [['bootc', 5]],
      cli.stderr,
    );
    assert.deepEqual(leftSince(before), { mounts: [], containers: [] }, 'the CLI leaves nothing behind');
  });

  it('maps a failing build to the instruction that failed', async () => {
    const { res } = await build('fails', 'localhost/bootc-lab-test-fails:1');
    assert.equal(res.ok, false);
    assert.deepEqual([res.failure?.instruction?.range.start.line, res.failure?.instruction?.range.end.line], [3, 4]);
    assert.match(res.failure?.tail ?? '', /about to fail/);
    const cli = spawnSync(
      process.execPath,
      [CLI, 'build', path.join(FIX, 'fails', 'Containerfile'), '--isolation', ISOLATION, '--tag', 'localhost/bootc-lab-test-fails:1'],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /fails\/Containerfile:4:1: error \[build-failed\]/);
  });

  it('cancels mid-build and leaves no process, container or mount behind', async () => {
    const before = leftovers();
    const ac = new AbortController();
    let steps = 0;
    const started = Date.now();
    // The step sleeps for a duration nothing else here uses: `pgrep -f 'sleep 120'` once matched an
    // unrelated shell's `sleep 120` and failed a correct cancel.
    const slowStep = 'sleep 4321';
    let running: Promise<string> | undefined;
    const { res } = await build('slow', 'localhost/bootc-lab-test-slow:1', ac.signal, () => {
      // Cancel only once the slow step's process really runs, so the cancel hits a live RUN.
      if (++steps === 2) running = pgrepUntil(slowStep, true, 60_000).finally(() => ac.abort());
    });
    assert.ok(running, 'the build reached its slow step');
    assert.match(await running, /sleep 4321/, 'the slow step was running when cancelled');
    assert.equal(res.cancelled, true);
    assert.ok(Date.now() - started < 90_000, 'cancel is prompt');
    assert.equal(await pgrepUntil(slowStep, false, 10_000), '', 'no orphan process outlives the cancel');
    assert.deepEqual(leftSince(before), { mounts: [], containers: [] });
    assert.equal(spawnSync('podman', ['image', 'exists', 'localhost/bootc-lab-test-slow:1']).status, 1);
  });
});
