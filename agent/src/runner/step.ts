// One step of a Run: `bash -s` with the script on stdin (it never touches disk) and the params as environment
// variables (never spliced into the script), in its own process group so a timeout or a cancel kills every
// process it started; inside a transient systemd scope with the preset's limits where systemd runs.
import { existsSync } from 'node:fs';
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
    input: step.script,
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
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancelled', grace: number): void => {
    if (ended) return;
    ended = why;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), grace * 1000);
  };
  const timer = setTimeout(() => stop('timeout', 5), timeoutMs);
  const onAbort = (): void => stop('cancelled', o.graceSeconds ?? 10);
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
    ...(ended ? { ended, message: ended === 'timeout' ? `timed out after ${timeoutMs / 1000} s` : 'cancelled' } : {}),
    startedAt,
    finishedAt: iso(),
  };
}
