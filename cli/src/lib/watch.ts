// Watches: a stream of {type, object} events, resumed from the last resourceVersion after a dropped
// connection and relisted after 410 Gone, until the caller stops.
import type { Client, Obj } from './client.js';
import { lines, statusError } from './client.js';
import { CliError, EXIT } from './errors.js';

export interface WatchEvent<T = Obj> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchOptions {
  query?: Record<string, string | undefined>;
  accept?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
  /** Called when the connection drops and is being re-established (the TUI's banner). */
  onDisconnect?: (err: Error) => void;
  onReconnect?: () => void;
  /**
   * Called when the server no longer has the events since the last resourceVersion (410 Gone): the watch
   * starts again from a fresh state, so objects deleted meanwhile were never reported. A cache keeping
   * objects must drop those that the events that follow (a fresh ADDED for each object) do not mention.
   */
  onRelist?: () => void;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

export async function* watch<T = Obj>(client: Client, path: string, o: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
  let rv = o.resourceVersion;
  let delay = 500;
  let dropped = false;
  while (!o.signal?.aborted) {
    try {
      const res = await client.open('GET', path, { accept: o.accept ?? 'application/json', query: { ...o.query, watch: 'true', allowWatchBookmarks: 'true', ...(rv ? { resourceVersion: rv } : {}) } });
      if ((res.statusCode ?? 0) >= 300) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        const err = statusError({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        if (err.status === 410) {
          rv = undefined;
          o.onRelist?.();
          continue;
        }
        throw err;
      }
      const abort = (): void => void res.destroy();
      o.signal?.addEventListener('abort', abort, { once: true });
      res.once('close', () => o.signal?.removeEventListener('abort', abort));
      if (dropped) o.onReconnect?.();
      dropped = false;
      delay = 500;
      for await (const line of lines(res)) {
        const ev = JSON.parse(line) as WatchEvent<T>;
        const meta = (ev.object as { metadata?: { resourceVersion?: string } }).metadata;
        if (ev.type === 'ERROR') {
          if ((ev.object as { code?: number }).code === 410) {
            rv = undefined;
            o.onRelist?.();
            break;
          }
          throw new CliError(`watch failed: ${(ev.object as { message?: string }).message ?? 'unknown error'}`, EXIT.unavailable);
        }
        if (meta?.resourceVersion) rv = meta.resourceVersion;
        if (ev.type !== 'BOOKMARK') yield ev;
      }
    } catch (err) {
      if (o.signal?.aborted) return;
      if (err instanceof CliError && err.exitCode !== EXIT.unavailable) throw err;
      if (!dropped) o.onDisconnect?.(err as Error);
      dropped = true;
      await sleep(delay, o.signal);
      delay = Math.min(delay * 2, 10_000);
      continue;
    }
    // The server ended the watch (its timeout): resume from the last resourceVersion.
  }
}
