// Listing a whole collection page by page (limit/continue read one consistent snapshot), for commands that
// filter or reshape what they list (audit, token/user/rolebinding tables).
import type { Client, Obj } from './client.js';
import { GROUP_PATH } from './client.js';

const PAGE = 500;

export async function listAll<T = Obj>(client: Client, path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = await client.json<{ items: T[]; metadata: { continue?: string } }>('GET', path, { query: { ...query, limit: PAGE, continue: cont } });
    out.push(...page.items);
    cont = page.metadata.continue || undefined;
  } while (cont);
  return out;
}

/** Path of a cluster-scoped hyprbox.io collection (users, tokens, rolebindings, auditevents, presets). */
export const clusterPath = (plural: string, name?: string): string => `${GROUP_PATH}/${plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
