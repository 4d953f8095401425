// Waiting for a slow client: what a stream that answers a large read (a list, a watch's current state) does
// before writing more, so that the server holds a bounded amount per client instead of the whole answer.
import type { Writable } from 'node:stream';

/**
 * Resolves true once the stream has at most `lowWater` bytes buffered (at once, or at a 'drain'); false when
 * it closes first, or when the client takes nothing for `stallMs` (the caller then drops it).
 */
export async function drained(stream: Writable, lowWater: number, stallMs: number): Promise<boolean> {
  while (!stream.destroyed && stream.writableLength > lowWater) {
    const progressed = await new Promise<boolean>((resolve) => {
      const done = (v: boolean) => (): void => {
        clearTimeout(timer);
        stream.off('drain', onDrain).off('close', onClose);
        resolve(v);
      };
      const onDrain = done(true);
      const onClose = done(false);
      const timer = setTimeout(done(false), stallMs);
      stream.once('drain', onDrain).once('close', onClose);
    });
    if (!progressed) return false;
  }
  return !stream.destroyed;
}

/** Lets the event loop serve other requests before a long answer goes on. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A large answer goes out this much at a time. */
export const ANSWER_CHUNK = 256 * 1024;
/** How long a client may take nothing of a large answer before it is dropped. */
export const STALL_MS = 60_000;
