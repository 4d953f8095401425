// The TUI's changes, through the CLI's shared actions: which run a key acts on, what the confirmation
// says (naming the risk), and doing it.
import type { Client, Obj } from '../lib/client.js';
import { approveRun, parseDuration, rejectRun, runOfFinding, snoozeFinding } from '../lib/actions.js';
import type { WhoAmI } from '../lib/actions.js';
import { CliError, EXIT } from '../lib/errors.js';
import type { ViewId } from './views.js';

type S = Record<string, unknown>;
const spec = (o: Obj): S => (o.spec ?? {}) as S;

/** The run behind the selected row: the run itself, or the run a finding waits on (status.runRef). */
export async function targetRun(client: Client, namespace: string, view: ViewId, selected: Obj | undefined): Promise<Obj> {
  if (!selected) throw new CliError('nothing selected', EXIT.usage);
  if (view === 'runs') return selected;
  if (view === 'findings') return runOfFinding(client, namespace, selected.metadata.name!);
  throw new CliError(`nothing to approve or reject in ${view}`, EXIT.usage);
}

export const riskOf = (run: Obj): string => String(spec(run).risk ?? 'CONFIRM');
export const nodeOf = (run: Obj): string => String(spec(run).nodeName ?? '');

/** The confirmation line: what, where, and the risk; a DANGEROUS run needs its node's name typed. */
export function confirmText(action: 'approve' | 'reject', run: Obj, typed: string): string {
  const what = `${action === 'approve' ? 'Approve' : 'Reject'} run ${run.metadata.name} (preset ${String(spec(run).preset ?? '?')} on node ${nodeOf(run)}), risk ${riskOf(run)}`;
  if (riskOf(run) === 'DANGEROUS') return `${what}. DANGEROUS: type the node name to confirm: ${typed}`;
  return `${what}? [y/N]`;
}

export async function applyConfirmed(client: Client, namespace: string, action: 'approve' | 'reject', run: Obj, me?: WhoAmI): Promise<string> {
  if (action === 'approve') {
    await approveRun(client, namespace, run, me);
    return `approved run ${run.metadata.name}`;
  }
  await rejectRun(client, namespace, run);
  return `rejected run ${run.metadata.name}`;
}

export async function snooze(client: Client, namespace: string, finding: string, duration: string, now = Date.now()): Promise<string> {
  const until = new Date(now + parseDuration(duration, 'snooze'));
  await snoozeFinding(client, namespace, finding, until);
  return `snoozed finding ${finding} until ${until.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}
