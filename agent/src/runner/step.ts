// One step of a Run: `bash -s` with the script on stdin (it never touches disk) and the params as environment
// variables (never spliced into the script), in its own process group so a timeout or a cancel kills every
// process it started; inside a transient systemd scope with the preset's limits where systemd runs.
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { DEFAULT_STEP_TIMEOUT_SECONDS } from '@hyprbox/crds/signing';

export interface StepSpec {
  name: string;
  script: string;
  timeoutSeconds?: number;
}

export interface StepOutcome {
  exitCode: number | null;
  /** Why the step did not finish on its own. */
  ended?: 'timeout' | 'cancelled' | 'spawn-error';
  message?: string;
  startedAt: string;
  finishedAt: string;
}

/** The reason an AbortSignal given to runStep may carry. */
export interface StopReason {
  message: string;
  graceSeconds: number;
}

export interface StepOptions {
  env: Record<string, string>;
  /** Called with output as it arrives (stdout and stderr interleaved). */
  onOutput(text: string): void;
  /** Aborted when the run is cancelled. */
  signal: AbortSignal;
  /** Seconds between SIGTERM and SIGKILL on cancel. */
  graceSeconds?: number;
  /** Host root: '/' normally, a chroot directory in tests. */
  hostRoot?: string;
  limits?: { memoryMax?: string; cpuQuota?: string };
  /**
   * Called with the step's pid (which leads its process group) once it exists and before it is given its
   * script: whatever must be recorded about a running step is durable before anything of it runs.
   */
  onSpawn?(pid: number): void;
}

export { DEFAULT_STEP_TIMEOUT_SECONDS };
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Whether steps can run in a transient systemd scope (systemd is PID 1 and systemd-run exists). */
export function systemdScopeAvailable(hostRoot = '/'): boolean {
  return hostRoot === '/' && existsSync('/run/systemd/system') && existsSync('/usr/bin/systemd-run');
}

export type StepLimits = NonNullable<StepOptions['limits']>;

/**
 * The command a step runs as: `bash -s` inside a transient systemd scope carrying the preset's limits where
 * systemd runs; otherwise bare (chrooted into a test host's root), with a note for the Run's log when limits
 * were asked for and cannot be applied — a step never silently runs unlimited.
 */
export function stepCommand(o: { hostRoot: string; systemd: boolean; limits?: StepLimits }): { argv: string[]; note?: string } {
  const props = [
    ...(o.limits?.memoryMax ? [`MemoryMax=${o.limits.memoryMax}`] : []),
    ...(o.limits?.cpuQuota ? [`CPUQuota=${o.limits.cpuQuota}`] : []),
  ];
  if (o.systemd) return { argv: ['systemd-run', '--scope', '--quiet', '--collect', ...props.flatMap((p) => ['-p', p]), '--', 'bash', '-s'] };
  const argv = o.hostRoot === '/' ? ['bash', '-s'] : ['chroot', o.hostRoot, 'bash', '-s'];
  return props.length ? { argv, note: `(this step runs without a systemd scope here: the preset's limits ${props.join(' ')} are not applied)\n` } : { argv };
}

const iso = (): string => new Date().toISOString();

export async function runStep(step: StepSpec, o: StepOptions): Promise<StepOutcome> {
  const startedAt = iso();
  const root = o.hostRoot ?? '/';
  const { argv, note } = stepCommand({ hostRoot: root, systemd: systemdScopeAvailable(root), ...(o.limits ? { limits: o.limits } : {}) });
  if (note) o.onOutput(note);
  const timeoutMs = (step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS) * 1000;
  const child = execa(argv[0]!, argv.slice(1), {
    env: { PATH, LANG: 'C.UTF-8', HYPRBOX_STEP: step.name, ...o.env },
    extendEnv: false,
    reject: false,
    all: true,
    buffer: false,
    detached: true,
    stripFinalNewline: false,
    cwd: '/',
  });
  let ended: StepOutcome['ended'];
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid !== undefined) signalGroup(child.pid, signal);
  };
  // bash reads its script from stdin: nothing runs before onSpawn returned.
  if (child.pid !== undefined) {
    try {
      o.onSpawn?.(child.pid);
    } catch (err) {
      killGroup('SIGKILL');
      child.stdin?.destroy();
      await child;
      throw err;
    }
  }
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(step.script);
  let killTimer: NodeJS.Timeout | undefined;
  let stopMessage = 'cancelled';
  const stop = (why: 'timeout' | 'cancelled', grace: number): void => {
    if (ended) return;
    ended = why;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), grace * 1000);
  };
  const timer = setTimeout(() => stop('timeout', 5), timeoutMs);
  const onAbort = (): void => {
    // Who aborts may say why and how long the step gets (an agent that is stopping has less time than a cancel).
    const reason = o.signal.reason as Partial<StopReason> | undefined;
    if (typeof reason?.message === 'string') stopMessage = reason.message;
    stop('cancelled', reason?.graceSeconds ?? o.graceSeconds ?? 10);
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  if (o.signal.aborted) onAbort();
  child.all?.setEncoding('utf8');
  child.all?.on('data', (d: string) => o.onOutput(d));
  const result = await child;
  clearTimeout(timer);
  if (killTimer) clearTimeout(killTimer);
  o.signal.removeEventListener('abort', onAbort);
  // Whatever the step left behind in its group goes with it.
  killGroup('SIGKILL');
  const failedToStart = result.exitCode === undefined && !ended;
  return {
    exitCode: result.exitCode ?? null,
    ...(failedToStart ? { ended: 'spawn-error' as const, message: result.shortMessage ?? 'the step could not start' } : {}),
    ...(ended ? { ended, message: ended === 'timeout' ? `timed out after ${timeoutMs / 1000} s` : stopMessage } : {}),
    startedAt,
    finishedAt: iso(),
  };
}

/** Sends a signal to a process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** A process's start time (clock ticks since boot, /proc/<pid>/stat field 22): with the boot id it tells a reused pid apart. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone (or after the SIGKILL). */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (!signalGroup(pgid, 0)) return;
  }
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 20 && signalGroup(pgid, 0); i++) await new Promise((r) => setTimeout(r, 100));
}
