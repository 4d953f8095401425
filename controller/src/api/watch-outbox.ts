// Coalesced output of watch streams: lines queued for a stream during one event-loop turn go out as one
// write when the turn ends (setImmediate, after the I/O callbacks of the turn). With many watchers, each
// write is a system call that also wakes a reader, so when writes come faster than the loop turns (a busy
// controller), several events share one call instead of one call per event per watcher.
import type { Response } from 'express';

const dirty = new Set<Outbox>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const boxes = [...dirty];
  dirty.clear();
  for (const b of boxes) b.flush();
}

export class Outbox {
  private pending: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly res: Response,
    /** Bytes the socket may buffer; past them `overflow` is called instead of buffering more. */
    private readonly maxBufferedBytes: number,
    private readonly overflow: () => void,
  ) {}

  /** Queues a line for the end of this turn. */
  add(line: Buffer): void {
    if (this.closed) return;
    this.pending.push(line);
    dirty.add(this);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushAll);
    }
  }

  /** Writes what is queued now (also before the stream ends). */
  flush(): void {
    dirty.delete(this);
    if (this.closed || this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.res.write(data);
    if (this.res.writableLength > this.maxBufferedBytes) this.overflow();
  }

  /** Drops whatever is still queued; nothing is written any more. */
  close(): void {
    this.closed = true;
    this.pending = [];
    dirty.delete(this);
  }
}
