// Store size benchmark (npm run bench:store): how big the SQLite store's files get under a steady stream of
// updates, with the default retention (automatic compaction + incremental vacuum) and, for contrast, with
// retention disabled (retainRevisions: 0, history kept forever).
//
// 1,000 keys, values of about 500 bytes of JSON, 100,000 updates (100 per key, round robin, one at a time);
// the sizes of the .db and -wal files are printed after 10k, 50k and 100k updates and after close().
// Then, the time one compaction takes as the number of live keys grows (10k, 50k, 100k keys).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import { busyOthers, fmtBytes, fmtInt, machineLine, procSnapshot, tempDir } from './lib.js';

const KEYS = 1_000;
const UPDATES = 100_000;
const CHECKPOINTS = [10_000, 50_000, 100_000];
const VALUE_BYTES = 500;
/** Live keys at which one compaction is timed. */
const COMPACTION_KEYS = [10_000, 50_000, 100_000];

const size = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** A Node-like object of about VALUE_BYTES bytes of JSON that changes on every update. */
function value(key: number, n: number): string {
  const obj = {
    apiVersion: 'hyprbox.io/v1alpha1',
    kind: 'Node',
    metadata: {
      name: `node-${key}`,
      namespace: 'default',
      uid: `00000000-0000-4000-8000-${String(key).padStart(12, '0')}`,
      generation: 1,
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { 'hyprbox.io/pool': `pool-${key % 10}` },
    },
    spec: { paused: false },
    status: {
      lastHeartbeatTime: new Date(1_735_689_600_000 + n * 1000).toISOString(),
      agentVersion: '0.1.0',
      health: n % 7 === 0 ? 'Degraded' : 'Healthy',
      inventory: { os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-28-amd64', cpus: 8, memoryBytes: 34_359_738_368 },
      counter: n,
      pad: '',
    },
  };
  const json = JSON.stringify(obj);
  obj.status.pad = 'x'.repeat(Math.max(0, VALUE_BYTES - json.length));
  return JSON.stringify(obj);
}

interface Row {
  label: string;
  updates: string;
  db: number;
  wal: number;
  historyRows: string;
  rate: string;
}

/** History row count and free pages, read through a second, short-lived read-only connection. */
function inspect(file: string): { historyRows: number; freePages: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const historyRows = (db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n;
    const freePages = db.pragma('freelist_count', { simple: true }) as number;
    return { historyRows, freePages };
  } finally {
    db.close();
  }
}

async function run(label: string, retainRevisions: number | undefined): Promise<{ rows: Row[]; overall: number }> {
  const tmp = await tempDir('hyprbox-bench-size-');
  const file = join(tmp.dir, 'hyprbox.db');
  const rows: Row[] = [];
  try {
    const store = createSqliteStore(retainRevisions === undefined ? { file } : { file, retainRevisions });
    const revs: number[] = [];
    try {
      for (let k = 0; k < KEYS; k++) {
        const r = await store.create(`/registry/hyprbox.io/nodes/default/node-${k}`, value(k, 0));
        if (!r.ok) throw new Error(`create node-${k} failed`);
        revs.push(r.kv.modRevision);
      }
      let segmentStart = performance.now();
      const start = segmentStart;
      let segmentFrom = 0;
      for (let n = 1; n <= UPDATES; n++) {
        const k = (n - 1) % KEYS;
        const r = await store.update(`/registry/hyprbox.io/nodes/default/node-${k}`, value(k, n), revs[k]!);
        if (!r.ok) throw new Error(`update node-${k} conflicted`);
        revs[k] = r.kv.modRevision;
        // Give timers (the store's maintenance tick) a chance, as a server's event loop would.
        if (n % 1000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        if (CHECKPOINTS.includes(n)) {
          const now = performance.now();
          const rate = (n - segmentFrom) / ((now - segmentStart) / 1000);
          const { historyRows, freePages } = inspect(file);
          rows.push({
            label: rows.length === 0 ? label : '',
            updates: fmtInt(n),
            db: size(file),
            wal: size(`${file}-wal`),
            historyRows: `${fmtInt(historyRows)} (${fmtInt(freePages)} free pages)`,
            rate: fmtInt(rate),
          });
          segmentFrom = n;
          segmentStart = performance.now();
        }
      }
      const overall = UPDATES / ((performance.now() - start) / 1000);
      await store.close();
      rows.push({ label: '', updates: 'after close()', db: size(file), wal: size(`${file}-wal`), historyRows: '', rate: '' });
      return { rows, overall };
    } finally {
      await store.close();
    }
  } finally {
    tmp.remove();
  }
}

/**
 * How long one compaction takes (it runs synchronously, on the event loop) as the number of live keys grows,
 * each time discarding the same amount of history: 1,000 superseded revisions of one key written since the
 * previous compaction (the steady state: automatic compaction runs every 1,000 writes). The compaction that
 * first catches up with the keys just created is timed separately: it has every one of them to read.
 */
async function compactionCost(): Promise<Array<{ keys: number; catchUpMs: number; ms: number }>> {
  const tmp = await tempDir('hyprbox-bench-compact-');
  const out: Array<{ keys: number; catchUpMs: number; ms: number }> = [];
  try {
    // No automatic compaction: the benchmark compacts explicitly.
    const store = createSqliteStore({ file: join(tmp.dir, 'hyprbox.db'), retainRevisions: 0 });
    try {
      let keys = 0;
      for (const target of COMPACTION_KEYS) {
        for (; keys < target; keys++) {
          const r = await store.create(`/registry/hyprbox.io/nodes/default/node-${keys}`, value(keys, 0));
          if (!r.ok) throw new Error(`create node-${keys} failed`);
          if (keys % 1000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const c0 = performance.now();
        await store.compact(await store.currentRevision());
        const catchUpMs = performance.now() - c0;
        const hot = '/registry/hyprbox.io/nodes/default/node-0';
        let rev = (await store.get(hot))!.modRevision;
        for (let i = 0; i < 1000; i++) {
          const r = await store.update(hot, value(0, i), rev);
          if (!r.ok) throw new Error('update conflicted');
          rev = r.kv.modRevision;
        }
        const t0 = performance.now();
        await store.compact(rev);
        out.push({ keys: target, catchUpMs, ms: performance.now() - t0 });
      }
    } finally {
      await store.close();
    }
  } finally {
    tmp.remove();
  }
  return out;
}

async function main(): Promise<void> {
  const variants: Array<[string, number | undefined]> = [
    ['default retention (10,000 revisions)', undefined],
    ['retainRevisions: 0 (no compaction)', 0],
  ];
  const results: Array<{ rows: Row[]; overall: number; label: string }> = [];
  const procsBefore = procSnapshot();
  const t0 = performance.now();
  for (const [label, retain] of variants) {
    process.stderr.write(`[bench] ${label}\n`);
    results.push({ label, ...(await run(label, retain)) });
  }
  process.stderr.write('[bench] compaction time against the number of keys\n');
  const compaction = await compactionCost();
  const intruders = busyOthers(procsBefore, procSnapshot(), (performance.now() - t0) / 1000, new Set([process.pid]));

  const out: string[] = [];
  out.push(`HyprBox SQLite store size benchmark, ${new Date().toISOString().slice(0, 10)}`);
  out.push(`Machine: ${machineLine()}`);
  out.push(
    `${fmtInt(KEYS)} keys, values ~${VALUE_BYTES} B of JSON, ${fmtInt(UPDATES)} updates (${UPDATES / KEYS} per key, round robin, one at a time); ` +
      'sizes of the .db and -wal files while the store is open, then after close() (which checkpoints and removes the WAL).',
  );
  out.push('');
  const cols = ['store', 'updates', '.db', '-wal', '.db + -wal', 'history rows', 'updates/s'];
  const widths = [38, 14, 10, 10, 11, 28, 10];
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  out.push(line(cols));
  out.push('-'.repeat(widths.reduce((a, b) => a + b + 1, -1)));
  for (const r of results) {
    for (const row of r.rows) {
      out.push(line([row.label, row.updates, fmtBytes(row.db), fmtBytes(row.wal), fmtBytes(row.db + row.wal), row.historyRows, row.rate]));
    }
    out.push(line(['', 'overall', '', '', '', '', fmtInt(r.overall)]));
  }
  out.push('');
  out.push('One compaction (store.compact, synchronous on the event loop) discarding 1,000 superseded revisions of one key written since the');
  out.push('previous compaction, by live keys; and, before it, the compaction catching up with the keys just created:');
  out.push(`  ${'live keys'.padStart(9)}  ${'1,000 updates'.padStart(13)}  ${'catch-up'.padStart(9)}`);
  for (const c of compaction) out.push(`  ${fmtInt(c.keys).padStart(9)}  ${`${c.ms.toFixed(1)} ms`.padStart(13)}  ${`${c.catchUpMs.toFixed(1)} ms`.padStart(9)}`);
  if (intruders.length) out.push(`WARNING: other processes competed for the CPU (updates/s are skewed; sizes are not): ${intruders.join(', ')}`);
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:store failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
