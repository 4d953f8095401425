import { Flags } from '@oclif/core';
import type { AuditEvent } from '@hyprbox/crds';
import { parseDuration } from '../lib/actions.js';
import { auditCsv, auditTable, filterAudit, parseSince } from '../lib/audit.js';
import { BaseCommand } from '../lib/base.js';
import { CliError, EXIT } from '../lib/errors.js';
import { clusterPath, listAll } from '../lib/list.js';
import { clean } from '../lib/output.js';

const FORMATS = ['table', 'csv', 'json'] as const;

export default class Audit extends BaseCommand {
  static override summary = 'Show the audit log (cluster admins): who changed what, or was refused, and when';
  static override description = 'Every write and every denied request is recorded (metadata only, never bodies). Oldest first; --limit keeps the newest N. CSV is RFC 4180 (CRLF, quoted where needed); a field a spreadsheet would run as a formula is prefixed with \'.';
  static override examples = ['hyprbox audit --since 1h', 'hyprbox audit --user ana --verb delete', 'hyprbox audit --kind runs --since 2025-01-31T08:00:00Z -o csv > runs-audit.csv'];
  static override flags = {
    since: Flags.string({ description: 'only events since a duration ago (30m, 1h, 7d) or an RFC 3339 time' }),
    user: Flags.string({ description: 'only requests by this user (or agent identity)' }),
    verb: Flags.string({ description: 'only this verb (create, update, patch, delete, get, list, watch, execute, ...)' }),
    kind: Flags.string({ description: 'only requests about this kind (any name `get` accepts: runs, run, ru, Run)' }),
    limit: Flags.integer({ description: 'at most the newest N events', min: 1 }),
    output: Flags.string({ char: 'o', description: FORMATS.join('|'), default: 'table' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Audit);
    const format = flags.output as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new CliError(`--output: must be one of ${FORMATS.join(', ')} (got "${flags.output}")`, EXIT.usage);
    const since = flags.since === undefined ? undefined : parseSince(flags.since, (t) => parseDuration(t, '--since'));
    const client = this.connect(flags);
    const resource = flags.kind === undefined ? undefined : (await this.resources(client)).resolve(flags.kind).plural;
    const all = await listAll<AuditEvent>(client, clusterPath('auditevents'));
    const events = filterAudit(all, { since, user: flags.user, verb: flags.verb, resource, limit: flags.limit }).map(clean);
    if (format === 'csv') this.out(auditCsv(events));
    else if (format === 'json') this.out(JSON.stringify(events, null, 2));
    else if (events.length) this.out(auditTable(events));
    else this.note('No audit events match.');
    return events;
  }
}
