// Opens the configured backend.
import { join } from 'node:path';
import type { ControllerConfig } from '../config.js';
import { createEtcdStore } from './etcd.js';
import { createSqliteStore } from './sqlite.js';
import type { Store } from './types.js';
import type { Logger } from 'pino';

/** The store file could not be opened: reported as one line, the file and SQLite's reason. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

export async function openStore(config: Pick<ControllerConfig, 'store' | 'dataDir' | 'etcdEndpoints' | 'retainRevisions'>, log?: Logger): Promise<Store> {
  if (config.store === 'etcd') return createEtcdStore({ endpoints: config.etcdEndpoints });
  const file = join(config.dataDir, 'hyprbox.db');
  try {
    return createSqliteStore({
      file,
      retainRevisions: config.retainRevisions,
      onMaintenanceError: (err) => log?.error({ err: err.message, file }, 'store maintenance (lease expiry, compaction) failed; retrying every second'),
    });
  } catch (err) {
    // The one line an operator needs: which file, and what SQLite said about it.
    throw new StoreOpenError(`cannot open the SQLite store ${file}: ${(err as Error).message} (is the disk full or read-only, or the file not a HyprBox store?)`, { cause: err });
  }
}
