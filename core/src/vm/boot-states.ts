// Terminal colour and cursor sequences in the serial console.
// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[[0-9;?]*[a-zA-Z]/g;

/** Boot phases, in the order a VM goes through them. */
export const BOOT_STATES = ['starting', 'kernel', 'initrd', 'switch-root', 'userspace', 'login', 'ssh'] as const;
export type BootState = (typeof BOOT_STATES)[number] | 'failed' | 'stopped';

export interface StateEvent {
  state: BootState;
  /** Seconds since QEMU started. */
  at: number;
  line?: string;
}

/**
 * Serial-console markers of each phase. They come from the kernel, dracut/initramfs-tools and
 * systemd; any one of a phase's markers is enough, and phases only move forward.
 */
const MARKERS: { state: BootState; re: RegExp }[] = [
  { state: 'kernel', re: /Linux version \d|Booting the kernel|\bLinux\b.*\bversion\b/ },
  { state: 'initrd', re: /Run \/init as init process|Loading, please wait|dracut[-:]|Trying to unpack rootfs|initrd|initramfs/i },
  {
    state: 'switch-root',
    re: /Switching root|switch_root|run-init|Begin: Running \/scripts\/init-bottom|Mounting root file system|EXT4-fs \(vda\): mounted/,
  },
  {
    state: 'userspace',
    re: /systemd\[1\]: .*(Detected virtualization|Reached target|Started )|Welcome to .*!|\[ *OK *\] (Reached|Started)/,
  },
  { state: 'login', re: /\blogin: ?$|login:\s*$/ },
];

// systemd as PID 1 freezes on a fatal error ("Failed to start up manager.", then "Freezing execution."):
// the machine never gets further, so waiting for SSH would only run into the timeout.
const FAILURES =
  /Kernel panic - not syncing|VFS: Unable to mount root fs|Failed to switch root|ALERT! .* does not exist|Gave up waiting for root|You are in emergency mode|Cannot open access to console, the root account is locked|end Kernel panic|systemd\[1\]: Freezing execution|Failed to start up manager/;

/** Follows the serial log and reports each phase once, with its time. */
export class BootStateTracker {
  readonly events: StateEvent[] = [{ state: 'starting', at: 0 }];
  private reached = 0;
  failure?: string;
  private partial = '';

  constructor(private readonly clock: () => number) {}

  get state(): BootState {
    if (this.failure) return 'failed';
    return this.events[this.events.length - 1]?.state ?? 'starting';
  }

  /** Feeds console output (any chunking); returns the states reached by it. */
  feed(chunk: string): StateEvent[] {
    const text = this.partial + chunk.replace(ANSI, '').replace(/\r/g, '');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const out: StateEvent[] = [];
    // The login prompt has no newline after it: look at the partial line too.
    for (const line of [...lines, this.partial]) {
      if (!this.failure && FAILURES.test(line)) {
        this.failure = line.trim();
        out.push(this.push('failed', line));
      }
      for (let i = this.reached; i < MARKERS.length; i++) {
        const m = MARKERS[i];
        if (m && m.re.test(line)) {
          // Earlier phases whose marker we missed are implied by a later one.
          for (let j = this.reached; j <= i; j++) {
            const s = MARKERS[j]?.state;
            if (s) out.push(this.push(s, j === i ? line : undefined));
          }
          this.reached = i + 1;
          break;
        }
      }
    }
    return out;
  }

  /** SSH answered: the last phase. */
  sshReady(): StateEvent {
    for (let j = this.reached; j < MARKERS.length; j++) {
      const s = MARKERS[j]?.state;
      if (s) this.push(s);
    }
    this.reached = MARKERS.length;
    return this.push('ssh');
  }

  at(state: BootState): number | undefined {
    return this.events.find((e) => e.state === state)?.at;
  }

  private push(state: BootState, line?: string): StateEvent {
    const ev: StateEvent = { state, at: Math.round(this.clock() * 1000) / 1000, line: line?.trim().slice(0, 200) };
    this.events.push(ev);
    return ev;
  }
}
