// A run's output, followed live (GET .../runs/{name}/log?follow=true ends when the run finishes).
import type { Client } from '../lib/client.js';
import { GROUP_PATH, statusError } from '../lib/client.js';

export async function* followRunLog(client: Client, namespace: string, run: string, signal?: AbortSignal): AsyncGenerator<string> {
  const res = await client.open('GET', `${GROUP_PATH}/namespaces/${encodeURIComponent(namespace)}/runs/${encodeURIComponent(run)}/log`, { query: { follow: 'true' }, accept: 'text/plain' });
  signal?.addEventListener('abort', () => res.destroy(), { once: true });
  if ((res.statusCode ?? 0) >= 300) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    throw statusError({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
  }
  try {
    for await (const chunk of res) yield (chunk as Buffer).toString('utf8');
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
