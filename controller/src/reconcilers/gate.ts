// Whether a drifted state may get a Run now, and if not, why: one function for the reconciler and the plan,
// so what `plan` promises is what the reconciler does.
import { windowState } from './windows.js';
import type { MaintenanceWindow, WindowState } from './windows.js';

export interface GateInput {
  mode: 'observe' | 'approve' | 'auto';
  nodePaused: boolean;
  profileWindows?: MaintenanceWindow[];
  nodeWindows?: MaintenanceWindow[];
  rolloutPaused: boolean;
  /** The last run succeeded, a fresh probe was taken, and the state is still drifted. */
  lastRunDidNotFix?: string;
  presetExists: boolean;
  /** Runs that may still start in this rollout (maxParallel minus active). */
  budget: number;
  /** The canary has not succeeded and its slots are taken. */
  waitingForCanary: boolean;
  now: Date;
}

export interface Gate {
  /** Why no run may start now; undefined when one may. */
  blocked?: string;
  /** The window that is closed, to wake up when it opens. */
  closed?: Extract<WindowState, { open: false }>;
}

export function gate(i: GateInput): Gate {
  const win = windowState(i.profileWindows, i.now);
  const nodeWin = windowState(i.nodeWindows, i.now);
  const closed = !win.open ? win : !nodeWin.open ? nodeWin : undefined;
  const blocked = i.mode === 'observe' ? 'observe mode: findings only'
    : i.nodePaused ? 'the node is cordoned'
    : closed ? closed.reason
    : i.rolloutPaused ? 'the rollout is paused after a failure'
    : i.lastRunDidNotFix ? `run ${i.lastRunDidNotFix} succeeded but the state is still drifted; a person must look`
    : !i.presetExists ? 'no preset'
    : i.budget <= 0 ? 'waiting for a rollout slot (maxParallel)'
    : i.waitingForCanary ? 'waiting for the canary to succeed'
    : undefined;
  return { ...(blocked ? { blocked } : {}), ...(closed ? { closed } : {}) };
}

/** The gate for one node of a profile: the mode and windows come from the profile and the node. */
export function gateFor(
  profile: { remediation?: { mode?: 'observe' | 'approve' | 'auto' }; maintenanceWindows?: MaintenanceWindow[] },
  node: Record<string, unknown>,
  rest: Omit<GateInput, 'mode' | 'nodePaused' | 'profileWindows' | 'nodeWindows'>,
): Gate {
  const ns = (node.spec ?? {}) as { paused?: boolean; maintenanceWindows?: MaintenanceWindow[] };
  return gate({
    mode: profile.remediation?.mode ?? 'auto',
    nodePaused: ns.paused === true,
    ...(profile.maintenanceWindows ? { profileWindows: profile.maintenanceWindows } : {}),
    ...(ns.maintenanceWindows ? { nodeWindows: ns.maintenanceWindows } : {}),
    ...rest,
  });
}
