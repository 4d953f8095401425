// `hyprbox-controller backup` and `restore`: what a controller needs to come back on a new disk. The store
// (a consistent snapshot, taken while the controller runs), the run-signing key (agents pinned it: without it
// every agent refuses every new Run), the TLS CA and serving certificate (agents pinned the CA) and the admin
// kubeconfig. Audit log files are not included (the AuditEvents in the store are). A backup is a directory,
// written under a temporary name and renamed when complete; a restore checks every file against the backup's
// manifest and fills the new data directory the same way, so neither leaves anything half-written.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { bumpRestoredStore, revisionOf, snapshotSqlite } from './store/sqlite-snapshot.js';

const STORE_FILE = 'hyprbox.db';
const MANIFEST = 'hyprbox-backup.json';
/** Copied when present, besides the store. */
const KEY_FILES = ['signing.key', 'admin.kubeconfig', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key'];
/** etcdutl's advice for --bump-revision: far past anything a client can have seen after the snapshot. */
export const DEFAULT_BUMP = 1_000_000_000;

export class BackupError extends Error {}

interface Manifest {
  format: 1;
  createdAt: string;
  controllerVersion: string;
  revision: number;
  /** Path inside the backup → sha256 (hex). */
  files: Record<string, string>;
}

/** SQLite's errors (not a database, damaged, locked) as one line naming the file. */
function named<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file}: ${(err as Error).message}`);
  }
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A sibling directory of `target` to build in, removed if anything fails before it is renamed into place. */
function buildBeside<T>(target: string, build: (dir: string) => T): T {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    chmodSync(tmp, 0o700);
    const result = build(tmp);
    if (existsSync(target)) rmdirSync(target); // empty: checked by the caller
    renameSync(tmp, target);
    return result;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function copyPrivate(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  copyFileSync(from, to);
  chmodSync(to, 0o600);
}

export function backup(dataDir: string, output: string, version: string, now = new Date()): Manifest {
  const store = join(dataDir, STORE_FILE);
  if (!existsSync(store)) {
    throw new BackupError(`${dataDir} holds no embedded store (${STORE_FILE}); a controller on etcd keeps its state in etcd: back that up with \`etcdctl snapshot save\` and copy signing.key and tls/ from ${dataDir}`);
  }
  if (existsSync(output)) throw new BackupError(`${output} already exists: choose a new path for the backup`);
  return buildBeside(output, (dir) => {
    const revision = named(store, () => snapshotSqlite(store, join(dir, STORE_FILE)));
    chmodSync(join(dir, STORE_FILE), 0o600);
    for (const f of KEY_FILES) if (existsSync(join(dataDir, f))) copyPrivate(join(dataDir, f), join(dir, f));
    const files: Record<string, string> = {};
    for (const f of [STORE_FILE, ...KEY_FILES]) if (existsSync(join(dir, f))) files[f] = sha256(join(dir, f));
    const manifest: Manifest = { format: 1, createdAt: now.toISOString(), controllerVersion: version, revision, files };
    writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    return manifest;
  });
}

function readManifest(from: string): Manifest {
  const path = join(from, MANIFEST);
  if (!existsSync(path)) throw new BackupError(`${from} is not a HyprBox backup: ${MANIFEST} is missing`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new BackupError(`${path}: ${(err as Error).message}`);
  }
  if (m?.format !== 1 || typeof m.files !== 'object' || m.files === null || !(STORE_FILE in m.files)) {
    throw new BackupError(`${path}: not a HyprBox backup manifest of format 1 (with ${STORE_FILE})`);
  }
  for (const [f, sum] of Object.entries(m.files)) {
    if (!KEY_FILES.includes(f) && f !== STORE_FILE) throw new BackupError(`${path}: unexpected file "${f}"`);
    const file = join(from, f);
    if (!existsSync(file)) throw new BackupError(`${file} is missing from the backup`);
    if (sha256(file) !== sum) throw new BackupError(`${file} does not match the backup's manifest (sha256): the backup is damaged`);
  }
  return m;
}

export interface Restored {
  revision: number;
  /** The revision the restored store serves from (everything before it reads as compacted). */
  servedFrom: number;
  files: string[];
}

export function restore(from: string, dataDir: string, bump = DEFAULT_BUMP): Restored {
  const m = readManifest(from);
  if (existsSync(dataDir) && (!statSync(dataDir).isDirectory() || readdirSync(dataDir).length > 0)) {
    throw new BackupError(`${dataDir} is not empty: restore into a new data directory (the controller using the old one must be stopped and moved away)`);
  }
  const target = resolve(dataDir);
  return buildBeside(target, (dir) => {
    for (const f of Object.keys(m.files)) copyPrivate(join(from, f), join(dir, f));
    const source = join(from, STORE_FILE);
    const revision = named(source, () => revisionOf(join(dir, STORE_FILE)));
    if (revision !== m.revision) throw new BackupError(`${source} is at revision ${revision}, its manifest says ${m.revision}`);
    const servedFrom = named(source, () => bumpRestoredStore(join(dir, STORE_FILE), bump));
    return { revision, servedFrom, files: Object.keys(m.files) };
  });
}
