import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CancelledError, run } from '../../core/src/process/run';

const orphans = (marker: string): string => spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim();

describe('run: cancellation', () => {
  it('returns only when the whole process group is gone, including a child forked after SIGTERM', async () => {
    // The leader answers SIGTERM by forking a child (which never saw the signal) and exiting,
    // as a build tool's helper can when the signal lands mid-fork.
    const marker = `sleep 31.${process.pid}`;
    const ac = new AbortController();
    const started = run(
      { command: 'sh', args: ['-c', `trap '${marker} >/dev/null 2>&1 & exit 0' TERM; echo ready; while :; do sleep 0.05; done`] },
      { signal: ac.signal, killGraceMs: 300, onStdout: (l) => l === 'ready' && ac.abort() },
    );
    await assert.rejects(started, CancelledError);
    assert.equal(orphans(marker), '', 'nothing of the group outlives run()');
  });

  it('refuses to start when already cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(run({ command: 'true', args: [] }, { signal: ac.signal }), CancelledError);
  });
});

describe('run: output past the limit', () => {
  it('fails with a clear message instead of returning cut-off output', async () => {
    // 65 MB in 1 MB writes: more than run keeps.
    const script = 'const b = Buffer.alloc(1 << 20, 120); for (let i = 0; i < 65; i++) process.stdout.write(b);';
    await assert.rejects(run({ command: process.execPath, args: ['-e', script] }), /printed more than 64 MB; its output was cut off/);
  });
});
