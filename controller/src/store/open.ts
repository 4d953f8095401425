// Opens the configured backend.
import { join } from 'node:path';
import type { ControllerConfig } from '../config.js';
import { createEtcdStore } from './etcd.js';
import { createSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export async function openStore(config: Pick<ControllerConfig, 'store' | 'dataDir' | 'etcdEndpoints' | 'retainRevisions'>): Promise<Store> {
  if (config.store === 'etcd') return createEtcdStore({ endpoints: config.etcdEndpoints });
  return createSqliteStore({ file: join(config.dataDir, 'hyprbox.db'), retainRevisions: config.retainRevisions });
}
