// approve / reject: a run by name, or a finding's run, named `run/<name>` or `finding/<name>`.
import type { Client, Obj } from './client.js';
import { getRun, runOfFinding } from './actions.js';
import { CliError, EXIT } from './errors.js';

export async function runFor(client: Client, ns: string, target: string): Promise<Obj> {
  const m = /^(run|runs|ru|finding|findings|fi|find)\/(.+)$/.exec(target);
  if (!m) throw new CliError(`"${target}": name a run or a finding as run/<name> or finding/<name>`, EXIT.usage);
  return m[1]!.startsWith('r') ? getRun(client, ns, m[2]!) : runOfFinding(client, ns, m[2]!);
}

export function describeRun(run: Obj): string {
  const spec = (run.spec ?? {}) as { nodeName?: string; preset?: string; presetRef?: string; risk?: string; approvedBy?: string[] };
  return `run ${run.metadata.name} (node ${spec.nodeName ?? '?'}, preset ${spec.preset ?? spec.presetRef ?? '?'}, risk ${spec.risk ?? 'CONFIRM'})`;
}
