// What people do to runs, findings, nodes and profiles, shared by the CLI commands and the TUI: approve,
// reject, snooze, resolve, cordon, resume a rollout. Each is one small request the API audits.
import type { Client, Obj } from './client.js';
import { GROUP_PATH } from './client.js';
import { CliError, EXIT } from './errors.js';

const MERGE = 'application/merge-patch+json';
const path = (ns: string, plural: string, name: string, sub = ''): string => `${GROUP_PATH}/namespaces/${encodeURIComponent(ns)}/${plural}/${encodeURIComponent(name)}${sub}`;

export const getRun = (c: Client, ns: string, name: string): Promise<Obj> => c.json('GET', path(ns, 'runs', name));
export const getFinding = (c: Client, ns: string, name: string): Promise<Obj> => c.json('GET', path(ns, 'findings', name));

/** The run a finding waits on (status.runRef), or a clear error when there is none. */
export async function runOfFinding(c: Client, ns: string, finding: string): Promise<Obj> {
  const f = await getFinding(c, ns, finding);
  const ref = (f.status as { runRef?: string } | undefined)?.runRef;
  if (!ref) throw new CliError(`finding ${finding} has no run to approve or reject (phase ${(f.status as { phase?: string } | undefined)?.phase ?? 'Open'}); see its recommendation`, EXIT.refused);
  return getRun(c, ns, ref);
}

export interface WhoAmI {
  kind: 'User' | 'Node';
  name: string;
  clusterRole?: string;
  namespaceRoles?: Record<string, string>;
}

/** The caller and its roles (GET /hyprbox/v1/whoami). */
export const whoami = (c: Client): Promise<WhoAmI> => c.json('GET', '/hyprbox/v1/whoami');

/** The caller's role in a namespace (the higher of cluster-wide and namespace roles), if any. */
export function roleIn(w: WhoAmI, ns: string): string | undefined {
  const rank = ['viewer', 'operator', 'admin'];
  const roles = [w.clusterRole, w.namespaceRoles?.[ns]].filter((r): r is string => !!r);
  return roles.sort((a, b) => rank.indexOf(b) - rank.indexOf(a))[0];
}

/**
 * Adds the caller's approval to a run, under the caller's own name (the API refuses any other name);
 * approving twice counts once.
 */
export async function approveRun(c: Client, ns: string, run: Obj, me?: WhoAmI): Promise<Obj> {
  const phase = (run.status as { phase?: string } | undefined)?.phase;
  if (phase && phase !== 'AwaitingApproval') throw new CliError(`run ${run.metadata.name} is ${phase}, not waiting for approval`, EXIT.refused);
  const who = me ?? (await whoami(c));
  const before = ((run.spec as { approvedBy?: string[] } | undefined)?.approvedBy) ?? [];
  if (before.includes(who.name)) return run;
  const approvedBy = [...before, who.name];
  return c.json('PATCH', path(ns, 'runs', run.metadata.name!), { body: { metadata: { resourceVersion: run.metadata.resourceVersion }, spec: { approvedBy } }, contentType: MERGE });
}

/** Rejects (cancels) a run that has not started. */
export async function rejectRun(c: Client, ns: string, run: Obj): Promise<Obj> {
  const phase = (run.status as { phase?: string } | undefined)?.phase;
  if (phase && !['AwaitingApproval', 'Pending'].includes(phase)) throw new CliError(`run ${run.metadata.name} is ${phase}; only a run that has not started can be rejected`, EXIT.refused);
  return c.json('PATCH', path(ns, 'runs', run.metadata.name!), { body: { metadata: { resourceVersion: run.metadata.resourceVersion }, spec: { cancel: true } }, contentType: MERGE });
}

export function snoozeFinding(c: Client, ns: string, name: string, until: Date): Promise<Obj> {
  return c.json('PATCH', path(ns, 'findings', name, '/status'), { body: { status: { phase: 'Snoozed', snoozedUntil: until.toISOString().replace(/\.\d{3}Z$/, 'Z') } }, contentType: MERGE });
}

export function resolveFinding(c: Client, ns: string, name: string): Promise<Obj> {
  return c.json('PATCH', path(ns, 'findings', name, '/status'), { body: { status: { phase: 'Resolved', resolvedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } }, contentType: MERGE });
}

/** Cordons (paused: no runs dispatched, findings still opened) or uncordons a node. */
export function setNodePaused(c: Client, ns: string, name: string, paused: boolean): Promise<Obj> {
  return c.json('PATCH', path(ns, 'nodes', name), { body: { spec: { paused } }, contentType: MERGE });
}

/** Resumes a rollout paused after failures: failures before now no longer count. */
export function resumeRollout(c: Client, ns: string, profile: string, now = new Date()): Promise<Obj> {
  return c.json('PATCH', path(ns, 'nodeprofiles', profile), { body: { metadata: { annotations: { 'hyprbox.io/rollout-resumed-at': now.toISOString() } } }, contentType: MERGE });
}

/** `7d`, `12h`, `30m`, `45s`, `2w` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new CliError(`${flag}: "${text}" is not a duration like 30m, 12h, 7d or 2w`, EXIT.usage);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's']!;
  const ms = Number(m[1]) * unit * 1000;
  if (ms <= 0) throw new CliError(`${flag}: must be more than zero`, EXIT.usage);
  return ms;
}
