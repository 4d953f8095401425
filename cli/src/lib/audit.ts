// The audit log as `hyprbox audit` reads it: AuditEvents (cluster-scoped, named by time so a list comes
// oldest first) filtered by time, user, verb and resource, printed as a table or as CSV.
import type { AuditEvent } from '@hyprbox/crds';
import { CliError, EXIT } from './errors.js';
import { columns } from './output.js';

export interface AuditFilter {
  since?: Date;
  user?: string;
  verb?: string;
  /** Resource plural, e.g. `runs`. */
  resource?: string;
  /** The newest N that match. */
  limit?: number;
}

/** `--since`: a duration back from now (30m, 1h, 7d) or an RFC 3339 time. */
export function parseSince(text: string, durationMs: (t: string) => number, now = Date.now()): Date {
  if (/^\d+[smhdw]$/.test(text.trim())) return new Date(now - durationMs(text));
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) throw new CliError(`--since: "${text}" is neither a duration (30m, 1h, 7d) nor an RFC 3339 time (2025-01-31T08:00:00Z)`, EXIT.usage);
  return new Date(t);
}

export function filterAudit(events: AuditEvent[], f: AuditFilter): AuditEvent[] {
  const since = f.since?.getTime();
  const hits = events
    .filter((e) => (since === undefined || Date.parse(e.time) >= since) && (f.user === undefined || e.user?.name === f.user) && (f.verb === undefined || e.verb === f.verb) && (f.resource === undefined || e.resource === f.resource))
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  return f.limit === undefined ? hits : hits.slice(Math.max(0, hits.length - f.limit));
}

const who = (e: AuditEvent): string => (e.user ? (e.user.kind === 'Node' ? `node:${e.user.node ?? e.user.name}` : e.user.name) : '(anonymous)');
const what = (e: AuditEvent): string => (e.resource ? `${e.resource}${e.subresource ? `/${e.subresource}` : ''}` : (e.path ?? ''));

export function auditTable(events: AuditEvent[]): string {
  const rows = events.map((e) => [e.time, who(e), e.verb, what(e), e.namespace ?? '', e.name ?? '', String(e.code), e.reason ?? '']);
  return columns(['TIME', 'USER', 'VERB', 'RESOURCE', 'NAMESPACE', 'NAME', 'CODE', 'REASON'], rows);
}

export const CSV_COLUMNS = ['time', 'user', 'userKind', 'node', 'verb', 'resource', 'subresource', 'namespace', 'name', 'path', 'code', 'reason', 'sourceAddress', 'userAgent', 'requestId'] as const;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled). A text that a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading ' first: user agents
 * and names in the audit log come from whoever sent the request.
 */
export function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function auditCsv(events: AuditEvent[]): string {
  const lines = events.map((e) =>
    [e.time, e.user?.name, e.user?.kind, e.user?.node, e.verb, e.resource, e.subresource, e.namespace, e.name, e.path, e.code, e.reason, e.sourceAddress, e.userAgent, e.requestId].map(csvField).join(','),
  );
  return [CSV_COLUMNS.join(','), ...lines].join('\r\n') + '\r\n';
}
