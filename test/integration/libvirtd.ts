import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * libvirtd as `.ci/run` sets it up on a machine where systemd is not PID 1: `virtlogd -d`, then
 * `libvirtd -d`, as root. Returns the PIDs of the daemons it started (none when libvirt already
 * answered), for `stopLibvirtd` to stop exactly those.
 */
export function ensureLibvirtd(uri = 'qemu:///system'): number[] {
  if (spawnSync('virsh', ['-c', uri, 'version'], { encoding: 'utf8' }).status === 0) return [];
  const started: number[] = [];
  for (const [daemon, pidFile] of [
    ['virtlogd', '/run/virtlogd.pid'],
    ['libvirtd', '/run/libvirtd.pid'],
  ] as const) {
    const r = spawnSync(daemon, ['-d'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${daemon} -d failed (apt-get install libvirt-daemon-system libvirt-clients): ${r.stderr}`);
    started.push(Number(fs.readFileSync(pidFile, 'utf8').trim()));
  }
  // libvirtd daemonizes before its socket listens: poll it (200 ms steps, 10 s at most).
  for (let i = 0; i < 50 && spawnSync('virsh', ['-c', uri, 'version']).status !== 0; i++) spawnSync('sleep', ['0.2']);
  assert.equal(spawnSync('virsh', ['-c', uri, 'version']).status, 0, `libvirtd started but ${uri} does not answer`);
  return started;
}

export function stopLibvirtd(pids: number[]): void {
  for (const pid of [...pids].reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
