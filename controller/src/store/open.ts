// Opens the configured backend.
import { existsSync, statSync } from 'node:fs';
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
  refuseLostStore(config.dataDir, file);
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

/**
 * A data directory that was set up before (its admin credential is there) whose store file is missing or empty
 * lost its store: starting anyway would silently begin a new, empty cluster with a new admin token.
 */
function refuseLostStore(dataDir: string, file: string): void {
  if (!existsSync(join(dataDir, 'admin.kubeconfig'))) return;
  const size = (f: string): number => (existsSync(f) ? statSync(f).size : -1);
  if (size(file) > 0 || size(`${file}-wal`) > 0) return;
  throw new StoreOpenError(
    `the data directory ${dataDir} was set up before (admin.kubeconfig is there) but its store ${file} is ${size(file) < 0 ? 'missing' : 'empty'}: restore a backup into a new data directory (hyprbox-controller restore --from BACKUP --data-dir NEW_DIR), or move the directory away to start a new cluster`,
  );
}
