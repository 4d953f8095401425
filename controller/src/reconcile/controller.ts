// Runs a reconciler over a work queue: `reconcile(key) → { requeueAfterMs? }`; a thrown error means
// rate-limited retry, a TerminalError means no retry (the reconciler records why in the object's status).
import type { Logger } from 'pino';
import type { WorkQueue } from './queue.js';

export class TerminalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminalError';
  }
}

export interface Result {
  requeueAfterMs?: number;
}

export interface Reconciler {
  readonly name: string;
  reconcile(key: string): Promise<Result | void>;
}

export function runController(r: Reconciler, queue: WorkQueue, log: Logger, workers = 1): { stop(): Promise<void> } {
  const loops: Array<Promise<void>> = [];
  for (let i = 0; i < workers; i++) {
    loops.push((async () => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        try {
          const res = await r.reconcile(key);
          queue.forget(key);
          if (res?.requeueAfterMs !== undefined) queue.addAfter(key, res.requeueAfterMs);
        } catch (err) {
          if (err instanceof TerminalError) {
            queue.forget(key);
            log.warn({ reconciler: r.name, key, err: err.message }, 'reconcile failed for good');
          } else {
            const delay = queue.addRateLimited(key);
            log.warn({ reconciler: r.name, key, err: (err as Error).message, retryInMs: delay }, 'reconcile failed; retrying');
          }
        } finally {
          queue.done(key);
        }
      }
    })());
  }
  return {
    async stop() {
      queue.shutdown();
      await Promise.all(loops);
    },
  };
}
