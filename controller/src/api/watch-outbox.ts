// Coalesced output of watch streams: lines queued for a stream during one event-loop turn go out as one
// write when the turn ends (setImmediate, after the I/O callbacks of the turn). With many watchers, each
// write is a system call that also wakes a reader, so when writes come faster than the loop turns (a busy
// controller), several events share one call instead of one call per event per watcher.
//
// A watch response is chunked (HTTP/1.1), and once its headers are out, each flush is one chunk written to
// the socket directly: `<size>\r\n<lines>\r\n`. An event line shared by many watchers (the watch cache
// encodes it once) is framed once too, so delivering it costs each watcher one socket write of the same
// Buffer, without the response object's per-write bookkeeping. res.end() still writes the final chunk.
import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { drained } from './drain.js';

/** Chunks framing a shared line, made once per line. */
const framed = new WeakMap<Buffer, Buffer>();
const CRLF = Buffer.from('\r\n');
const frame = (data: Buffer): Buffer => Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, CRLF]);
function chunkOf(line: Buffer): Buffer {
  let f = framed.get(line);
  if (!f) {
    f = frame(line);
    framed.set(line, f);
  }
  return f;
}

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
  private pendingBytes = 0;
  private closed = false;
  private headersFlushed = false;

  constructor(
    private readonly res: ServerResponse,
    /** Bytes the socket may buffer; past them `overflow` is called instead of buffering more. */
    private readonly maxBufferedBytes: number,
    private readonly overflow: () => void,
  ) {}

  /** Queues a line for the end of this turn. */
  add(line: Buffer): void {
    if (this.closed) return;
    this.pending.push(line);
    this.pendingBytes += line.length;
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
    if (this.res.destroyed) {
      // Gone without a 'close' seen by the stream's owner: nobody reads, so the watcher is dropped.
      this.overflow();
      return;
    }
    const one = this.pending.length === 1 ? this.pending[0]! : undefined;
    const data = one ?? Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const socket = this.directSocket();
    if (socket) {
      socket.write(one ? chunkOf(one) : frame(data));
      if (socket.writableLength > this.maxBufferedBytes) this.overflow();
    } else {
      this.res.write(data);
      if (this.res.writableLength > this.maxBufferedBytes) this.overflow();
    }
  }

  /**
   * The socket, when chunks may be written to it directly: the response is chunked, its headers are on the
   * socket, and nothing of the response's own is queued ahead (its writableLength counts the socket's too).
   */
  private directSocket(): Socket | undefined {
    const res = this.res as ServerResponse & { chunkedEncoding?: boolean };
    const socket = res.socket;
    if (!socket || socket.destroyed) return undefined;
    if (!this.headersFlushed) {
      res.flushHeaders();
      this.headersFlushed = true;
    }
    if (res.chunkedEncoding !== true || res.writableLength !== socket.writableLength) return undefined;
    return socket;
  }

  /** Bytes queued for the end of this turn. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Writes what is queued now, then waits for the client as drain.ts `drained` does. */
  async drained(lowWater: number, stallMs: number): Promise<boolean> {
    this.flush();
    return (await drained(this.directSocket() ?? this.res, lowWater, stallMs)) && !this.closed;
  }

  /** Drops whatever is still queued; nothing is written any more. */
  close(): void {
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    dirty.delete(this);
  }
}
