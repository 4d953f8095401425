// Whether the store answers, probed in the background: /readyz reports it (as Kubernetes' readyz reports
// etcd), so a load balancer or a monitor sees a controller that cannot reach its store as not ready,
// while /healthz stays ok (the process itself is fine and must not be restarted for it). A store that answers
// reads but refuses writes (a full disk, etcd out of space) is not ready either, until a write succeeds.
import type { Store } from './types.js';

export interface StoreHealthOptions {
  /** Time between probes (default 2000 ms). */
  intervalMs?: number;
  /** A probe slower than this counts as a failure (default 2000 ms). */
  timeoutMs?: number;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export class StoreHealth {
  private failure: string | undefined;
  private writesFailing = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly o: StoreHealthOptions,
  ) {}

  /** Undefined while the store answers and takes writes; otherwise why not. */
  get problem(): string | undefined {
    const write = this.store.writeFailure?.();
    return this.failure ?? (write !== undefined ? `writes fail: ${write}` : undefined);
  }

  start(): void {
    const next = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.probe().then(next), this.o.intervalMs ?? 2000);
      this.timer.unref();
    };
    next();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One probe: asks the store for its revision, within the timeout. Never rejects. */
  async probe(): Promise<void> {
    const ms = this.o.timeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.store.currentRevision(), late]);
      if (this.failure) this.o.log.info({ store: this.store.backend }, 'store reachable again');
      this.failure = undefined;
    } catch (err) {
      if (!this.failure) this.o.log.warn({ store: this.store.backend, err: (err as Error).message }, 'store unreachable; not ready');
      this.failure = (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
    const write = this.store.writeFailure?.();
    if ((write !== undefined) !== this.writesFailing) {
      this.writesFailing = write !== undefined;
      if (write !== undefined) this.o.log.warn({ store: this.store.backend, err: write }, 'store refuses writes; not ready');
      else this.o.log.info({ store: this.store.backend }, 'store takes writes again');
    }
  }
}
