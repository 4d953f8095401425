// A run's output as redacted text (GET .../runs/{name}/log, `follow` until the run finishes), for
// `hyprbox logs` and the TUI's `l`. Redacted line by line: a secret split across chunks is still caught.
import { redactString } from '@hyprbox/crds';
import type { Client } from './client.js';
import { GROUP_PATH, statusError } from './client.js';

export async function* runLog(client: Client, namespace: string, run: string, o: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<string> {
  const path = `${GROUP_PATH}/namespaces/${encodeURIComponent(namespace)}/runs/${encodeURIComponent(run)}/log`;
  const res = await client.open('GET', path, { accept: 'text/plain', query: o.follow ? { follow: 'true' } : {} });
  o.signal?.addEventListener('abort', () => res.destroy(), { once: true });
  if ((res.statusCode ?? 0) >= 300) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    throw statusError({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
  }
  let pending = '';
  try {
    for await (const chunk of res) {
      pending += (chunk as Buffer).toString('utf8');
      const cut = pending.lastIndexOf('\n') + 1;
      if (!cut) continue;
      yield redactString(pending.slice(0, cut));
      pending = pending.slice(cut);
    }
  } catch (err) {
    if (!o.signal?.aborted) throw err;
    return;
  }
  if (pending) yield redactString(pending);
}
