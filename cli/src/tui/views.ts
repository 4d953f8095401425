// The TUI's views: which kind each lists, the names `:` accepts for it, and its columns. A column is a
// function of the object (and the live metric history for sparklines), so every view renders from the
// same watched objects the store keeps.
import type { Obj } from '../lib/client.js';
import { age } from '../lib/output.js';
import { sparkline } from './style.js';

export type ViewId = 'nodes' | 'profiles' | 'findings' | 'runs' | 'events' | 'presets';

export interface Cell {
  text: string;
  /** Status word whose colour the cell takes (see style.ts). */
  tone?: string;
}

export interface RowContext {
  now: number;
  /** A node's heartbeat Lease (same name, same namespace). */
  lease: (node: string) => Obj | undefined;
  /** Severities of a node's findings that are still open (not resolved or snoozed). */
  openSeverities: (node: string) => string[];
  /** Metric history per node name, oldest first. */
  history: (node: string) => MetricHistory | undefined;
  /** Width a sparkline may take. */
  spark: number;
}

export interface MetricHistory {
  cpu: number[];
  memory: number[];
  disk: number[];
}

export interface Column {
  header: string;
  /** Narrowest the column may be squeezed to. */
  min: number;
  /** Shown only when the terminal is at least this wide. */
  from?: number;
  cell: (o: Obj, c: RowContext) => Cell;
}

export interface ViewDef {
  id: ViewId;
  title: string;
  /** The resource's plural as the API names it. */
  plural: string;
  aliases: string[];
  columns: Column[];
  /** Change keys that apply to this view (hidden and refused for a viewer). */
  actions: Array<'a' | 'x' | 's'>;
}

type S = Record<string, unknown>;
const st = (o: Obj): S => (o.status ?? {}) as S;
const sp = (o: Obj): S => (o.spec ?? {}) as S;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const plain = (text: unknown): Cell => ({ text: str(text) });
const toned = (text: unknown): Cell => ({ text: str(text), tone: str(text) });
const name: Column = { header: 'NAME', min: 8, cell: (o) => plain(o.metadata.name) };

const condition = (o: Obj, type: string): { status?: string; reason?: string } | undefined =>
  ((st(o).conditions ?? []) as Array<{ type: string; status?: string; reason?: string }>).find((c) => c.type === type);

const metric = (key: keyof MetricHistory, label: string): Column => ({
  header: label,
  min: 4,
  cell: (o, c) => {
    const v = (st(o).metrics as Record<string, number> | undefined)?.[`${key}Percent`];
    if (v === undefined) return plain('-');
    const line = sparkline(c.history(o.metadata.name ?? '')?.[key] ?? [v], c.spark);
    return { text: `${line} ${Math.round(v)}%`, tone: v >= 90 ? 'critical' : v >= 75 ? 'warning' : undefined };
  },
});

/**
 * A node's health bucket: status.health when the controller writes one; otherwise the TUI's reading of
 * what it watches: critical when lost or with an open CRITICAL finding, warning with an open WARN finding
 * or a resource at 90% or more, healthy otherwise.
 */
export function nodeHealth(o: Obj, c: RowContext): string {
  if (st(o).health) return str(st(o).health);
  const sev = c.openSeverities(o.metadata.name ?? '');
  const m = (st(o).metrics ?? {}) as Record<string, number>;
  if (condition(o, 'Ready')?.reason === 'NodeLost' || sev.includes('CRITICAL')) return 'critical';
  if (sev.includes('WARN') || Object.values(m).some((v) => v >= 90)) return 'warning';
  return 'healthy';
}

/** Last heartbeat: the node's Lease renewal (or status.lastHeartbeatTime where an agent writes one). */
export function heartbeat(o: Obj, c: RowContext): string {
  const t = (c.lease(o.metadata.name ?? '')?.spec as { renewTime?: string } | undefined)?.renewTime ?? st(o).lastHeartbeatTime;
  return t ? age(str(t), c.now) : '-';
}

/** The rollout of a profile in one word: Paused (after failures), Suspended, Remediating, Complete or Progressing. */
export function rolloutState(o: Obj): string {
  const s = st(o);
  const stalled = condition(o, 'Stalled');
  if (stalled?.status === 'True') return stalled.reason === 'RolloutPaused' ? 'Paused' : 'Stalled';
  if (sp(o).suspend) return 'Suspended';
  if (Number(s.remediating ?? 0) > 0) return 'Remediating';
  if (s.matched !== undefined && s.compliant === s.matched) return 'Complete';
  return 'Progressing';
}

/** How long a run took (or has been running); '-' before it started. */
export function runDuration(o: Obj, now: number): string {
  const s = st(o);
  if (!s.startedAt) return '-';
  return age(str(s.startedAt), s.finishedAt ? Date.parse(str(s.finishedAt)) : now);
}

export const VIEWS: Record<ViewId, ViewDef> = {
  nodes: {
    id: 'nodes', title: 'Nodes', plural: 'nodes', aliases: ['nodes', 'node', 'no'], actions: [],
    columns: [
      name,
      { header: 'HEALTH', min: 7, cell: (o, c) => toned(nodeHealth(o, c)) },
      { header: 'READY', min: 5, cell: (o) => (condition(o, 'Ready')?.reason === 'NodeLost' ? toned('Lost') : toned(condition(o, 'Ready')?.status ?? 'Unknown')) },
      { header: 'HEARTBEAT', min: 9, cell: (o, c) => plain(heartbeat(o, c)) },
      metric('cpu', 'CPU'),
      metric('memory', 'MEM'),
      metric('disk', 'DISK'),
      { header: 'PAUSED', min: 6, from: 110, cell: (o) => plain(sp(o).paused ? 'yes' : '') },
      { header: 'AGENT', min: 6, from: 130, cell: (o) => plain(st(o).agentVersion ?? '') },
      { header: 'OS', min: 6, from: 150, cell: (o) => plain((st(o).inventory as S | undefined)?.os ?? '') },
    ],
  },
  profiles: {
    id: 'profiles', title: 'Profiles', plural: 'nodeprofiles', aliases: ['profiles', 'profile', 'pr', 'nodeprofiles', 'nodeprofile', 'np'], actions: [],
    columns: [
      name,
      { header: 'MATCHED', min: 7, cell: (o) => plain(st(o).matched ?? 0) },
      { header: 'COMPLIANT', min: 9, cell: (o) => plain(st(o).compliant ?? 0) },
      { header: 'DRIFTED', min: 7, cell: (o) => ({ text: str(st(o).drifted ?? 0), ...(Number(st(o).drifted ?? 0) > 0 ? { tone: 'warning' } : {}) }) },
      { header: 'UNKNOWN', min: 7, cell: (o) => plain(st(o).unknown ?? 0) },
      { header: 'ROLLOUT', min: 8, cell: (o) => toned(rolloutState(o)) },
      { header: 'HEALTH', min: 7, from: 100, cell: (o) => toned(st(o).health ?? '') },
      { header: 'MODE', min: 7, from: 110, cell: (o) => plain((sp(o).remediation as S | undefined)?.mode ?? 'observe') },
    ],
  },
  findings: {
    id: 'findings', title: 'Findings', plural: 'findings', aliases: ['findings', 'finding', 'fi'], actions: ['a', 'x', 's'],
    columns: [
      { header: 'SEVERITY', min: 8, cell: (o) => toned(sp(o).severity) },
      { header: 'STATE', min: 6, cell: (o) => toned(st(o).phase ?? 'Open') },
      { header: 'NODE', min: 6, cell: (o) => plain(sp(o).nodeName) },
      { header: 'AGE', min: 4, cell: (o, c) => plain(age(str(st(o).firstSeen ?? o.metadata.creationTimestamp), c.now)) },
      { header: 'TYPE', min: 10, cell: (o) => plain(sp(o).type) },
      { header: 'RECOMMENDATION', min: 10, cell: (o) => plain((sp(o).recommendation as S | undefined)?.preset ?? '') },
      { header: 'NAME', min: 10, from: 120, cell: (o) => plain(o.metadata.name) },
      { header: 'MESSAGE', min: 10, from: 150, cell: (o) => plain(sp(o).message) },
    ],
  },
  runs: {
    id: 'runs', title: 'Runs', plural: 'runs', aliases: ['runs', 'run', 'ru'], actions: ['a', 'x'],
    columns: [
      name,
      { header: 'PHASE', min: 7, cell: (o) => toned(st(o).phase ?? 'Pending') },
      { header: 'NODE', min: 6, cell: (o) => plain(sp(o).nodeName) },
      { header: 'PRESET', min: 6, cell: (o) => plain(sp(o).preset) },
      { header: 'RISK', min: 4, cell: (o) => toned(sp(o).risk ?? '') },
      { header: 'DURATION', min: 8, cell: (o, c) => plain(runDuration(o, c.now)) },
      { header: 'APPROVED BY', min: 8, from: 110, cell: (o) => plain(((sp(o).approvedBy as string[] | undefined) ?? []).join(',')) },
      { header: 'AGE', min: 4, from: 120, cell: (o, c) => plain(age(o.metadata.creationTimestamp as string | undefined, c.now)) },
    ],
  },
  events: {
    id: 'events', title: 'Events', plural: 'events', aliases: ['events', 'event', 'ev'], actions: [],
    columns: [
      { header: 'LAST', min: 4, cell: (o, c) => plain(age(str(o.lastTimestamp ?? o.firstTimestamp ?? o.metadata.creationTimestamp), c.now)) },
      { header: 'TYPE', min: 7, cell: (o) => toned(o.type ?? 'Normal') },
      { header: 'REASON', min: 8, cell: (o) => plain(o.reason) },
      { header: 'OBJECT', min: 10, cell: (o) => { const i = (o.involvedObject ?? {}) as S; return plain(`${str(i.kind).toLowerCase()}/${str(i.name)}`); } },
      { header: 'MESSAGE', min: 10, cell: (o) => plain(o.message) },
    ],
  },
  presets: {
    id: 'presets', title: 'Presets', plural: 'presets', aliases: ['presets', 'preset', 'ps'], actions: [],
    columns: [
      name,
      { header: 'RISK', min: 4, cell: (o) => toned(sp(o).risk ?? 'CONFIRM') },
      { header: 'VERSION', min: 7, cell: (o) => plain(sp(o).version ?? '') },
      { header: 'RESOLVES', min: 8, cell: (o) => plain(((sp(o).resolves as string[] | undefined) ?? []).join(',')) },
      { header: 'DESCRIPTION', min: 10, from: 100, cell: (o) => plain(sp(o).description) },
    ],
  },
};

export const VIEW_IDS = Object.keys(VIEWS) as ViewId[];

const SEVERITY_RANK: Record<string, string> = { CRITICAL: '0', WARN: '1', INFO: '2' };

/** Rows sorted for reading: events newest first, findings worst first, everything else by name. */
export function sortRows(view: ViewId, items: Obj[]): Obj[] {
  const key = (o: Obj): string =>
    view === 'events' ? str(o.lastTimestamp ?? o.metadata.creationTimestamp) : view === 'findings' ? `${SEVERITY_RANK[str(sp(o).severity)] ?? '3'}${str(o.metadata.name)}` : str(o.metadata.name);
  const sorted = [...items].sort((a, b) => key(a).localeCompare(key(b)));
  return view === 'events' ? sorted.reverse() : sorted;
}
