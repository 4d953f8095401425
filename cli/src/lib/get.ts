// Reading objects for `get` (and the TUI): lists and single objects as server Tables or full objects.
import type { Client, Obj } from './client.js';
import { TABLE_ACCEPT } from './client.js';
import type { Table } from './output.js';
import type { ResourceInfo } from './resources.js';
import { collectionPath, objectPath } from './resources.js';

export interface Query {
  resource: ResourceInfo;
  /** undefined = all namespaces */
  namespace: string | undefined;
  names: string[];
  labelSelector?: string;
  fieldSelector?: string;
}

export async function getTable(client: Client, q: Query): Promise<Table> {
  if (!q.names.length) {
    return client.json<Table>('GET', collectionPath(q.resource, q.namespace), { accept: TABLE_ACCEPT, query: { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector } });
  }
  const tables = await Promise.all(q.names.map((n) => client.json<Table>('GET', objectPath(q.resource, q.namespace, n), { accept: TABLE_ACCEPT })));
  return { columnDefinitions: tables[0]!.columnDefinitions, rows: tables.flatMap((t) => t.rows) };
}

export async function getObjects(client: Client, q: Query): Promise<{ items: Obj[]; resourceVersion?: string }> {
  if (!q.names.length) {
    const list = await client.json<{ items: Obj[]; metadata: { resourceVersion?: string } }>('GET', collectionPath(q.resource, q.namespace), { query: { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector } });
    return { items: list.items.map((o) => ({ apiVersion: `${q.resource.group ? `${q.resource.group}/` : ''}${q.resource.version}`, kind: q.resource.kind, ...o })), ...(list.metadata.resourceVersion ? { resourceVersion: list.metadata.resourceVersion } : {}) };
  }
  return { items: await Promise.all(q.names.map((n) => client.json<Obj>('GET', objectPath(q.resource, q.namespace, n)))) };
}
