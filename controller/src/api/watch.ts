// A client watch over HTTP: a chunked stream of `{"type": ..., "object": ...}` lines, fed by the watch cache.
// A client that does not read (its socket buffer grows past the cap) is disconnected: it will relist, and the
// server's memory stays bounded. Lines go out through an Outbox: one write per stream per event-loop turn.
// The current state that a watch without a resourceVersion starts with can be a whole kind (thousands of
// large objects): it is read a page at a time and goes out in chunks, each written only once the client took
// the last, with the event loop free between them; live events follow from the watch cache, replayed from the
// state's revision.
import type { ServerResponse } from 'node:http';
import type { ApiRequest } from './http.js';
import type { Obj } from './admission.js';
import { ApiError, expired, internalError } from './errors.js';
import { tableForWatchEvent } from './table.js';
import type { IncludeObject, TableApiVersion } from './table.js';
import { eventLine } from './watch-cache.js';
import { ANSWER_CHUNK, STALL_MS, turn } from './drain.js';
import { Outbox } from './watch-outbox.js';
import type { CachedEvent, Subscriber, WatchCache, WatchEventType } from './watch-cache.js';

/** Objects served as another kind (core v1 Events, PartialObjectMetadata): mapped per event, per watcher. */
export interface WatchView {
  apiVersion: string;
  kind: string;
  map(obj: Obj): Obj;
}

export interface WatchRequest {
  cache: WatchCache;
  view?: WatchView;
  /**
   * The current state, sent as ADDED before live events (a watch without a resourceVersion): pages read one
   * at a time as the client takes them, so a watcher holds one page, not the whole kind. A page that cannot
   * be read (an ApiError: history compacted meanwhile) ends the stream with an ERROR event.
   */
  initial?: AsyncIterator<Obj[]>;
  /** After them, a bookmark annotated k8s.io/initial-events-end (sendInitialEvents=true). */
  initialEventsEnd?: boolean;
  fromRevision: number;
  matches: (obj: Obj) => boolean;
  table: false | { includeObject: IncludeObject; apiVersion: TableApiVersion };
  bookmarks: boolean;
  timeoutSeconds?: number;
  /** Bytes the socket may buffer before the watcher is dropped. */
  maxBufferedBytes: number;
  /** While the current state goes out: how long the client may take no data before it is dropped. */
  stallMs?: number;
  onEnd?: () => void;
}

/** What a watcher of Tables or views (encoded for it alone) may have buffered before it is dropped. */
export const OWN_COPIES_MAX_BYTES = 2 * 1024 * 1024;

export function serveWatch(req: ApiRequest, res: ServerResponse, w: WatchRequest): void {
  const { cache } = w;
  // The client may have gone while the watch was set up (a list, a store round trip): its 'close' has passed,
  // and a subscriber made now would be fed until the watch timeout, writing to nothing.
  if (req.destroyed || res.destroyed || !res.socket || res.socket.destroyed) {
    w.onEnd?.();
    return;
  }
  const def = cache.resource.def;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  let ended = false;
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  const stop = (): void => {
    ended = true;
    unsubscribe?.();
    if (timer) clearTimeout(timer);
    w.onEnd?.();
  };
  // Too slow a reader: drop it rather than buffer without bound.
  // Tables and views are encoded for this watcher alone (plain events are shared by all): a reader that stops
  // holds its own copies, so it may hold less of them.
  const cap = w.table || w.view ? Math.min(w.maxBufferedBytes, OWN_COPIES_MAX_BYTES) : w.maxBufferedBytes;
  const out = new Outbox(res, cap, () => drop());
  const end = (): void => {
    if (ended) return;
    out.flush();
    if (ended) return; // the last flush found the reader too slow
    out.close();
    stop();
    res.end();
  };
  const write = (line: string | Buffer): void => {
    if (!ended) out.add(typeof line === 'string' ? Buffer.from(line) : line);
  };
  const objectJson = (obj: Obj): string => {
    if (w.view) return JSON.stringify(w.view.map(obj));
    if (w.table) {
      const t = tableForWatchEvent(def, obj, { includeObject: w.table.includeObject, includeColumns: first, apiVersion: w.table.apiVersion });
      first = false;
      return JSON.stringify(t);
    }
    return JSON.stringify(obj);
  };
  const send = (type: WatchEventType, obj: Obj, ev?: CachedEvent): void => {
    // Plain events of the cache are encoded once for all watchers; Tables and views are per watcher.
    if (ev && !w.table && !w.view) write(eventLine(ev, type));
    else write(`{"type":"${type}","object":${objectJson(obj)}}\n`);
  };

  const apiVersion = w.view?.apiVersion ?? (def.group ? `${def.group}/${def.version}` : def.version);
  const kind = w.view?.kind ?? def.kind;
  const bookmark = (revision: number, annotations?: Record<string, string>): void => {
    const metadata = { resourceVersion: String(revision), ...(annotations ? { annotations } : {}) };
    write(`{"type":"BOOKMARK","object":${JSON.stringify({ kind, apiVersion, metadata })}}\n`);
  };

  const drop = (): void => {
    if (ended) return;
    out.close();
    stop();
    res.destroy();
  };
  const errorEvent = (err: ApiError): void => write(`{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`);
  /** The current state as ADDED events; false when the stream ended meanwhile. */
  const sendInitial = async (pages: AsyncIterator<Obj[]>): Promise<boolean> => {
    const stall = w.stallMs ?? STALL_MS;
    for (;;) {
      let page: IteratorResult<Obj[]>;
      try {
        page = await pages.next();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        errorEvent(err);
        end();
        return false;
      }
      if (page.done) return !ended;
      for (const obj of page.value) {
        if (ended) return false;
        if (cache.isStopped) {
          end();
          return false;
        }
        send('ADDED', obj);
        if (out.queuedBytes >= ANSWER_CHUNK) {
          if (!(await out.drained(ANSWER_CHUNK, stall))) {
            drop();
            return false;
          }
          await turn();
        }
      }
    }
  };
  const follow = (): void => {
    if (w.initialEventsEnd) bookmark(w.fromRevision, { 'k8s.io/initial-events-end': 'true' });
    const sub: Subscriber = {
      fromRevision: w.fromRevision,
      matches: w.matches,
      bookmarks: w.bookmarks && !w.table,
      send: (type, ev) => send(type, ev.obj, ev),
      bookmark: (revision) => bookmark(revision),
      close: (reason) => {
        if (reason === 'expired') errorEvent(expired('the watch cache lost continuity; relist'));
        end();
      },
    };
    try {
      unsubscribe = cache.subscribe(sub);
    } catch (err) {
      // Kubernetes reports an expired resourceVersion inside the stream, so clients relist.
      errorEvent(err instanceof ApiError ? err : internalError());
      end();
    }
  };

  if (w.timeoutSeconds && w.timeoutSeconds > 0) timer = setTimeout(end, w.timeoutSeconds * 1000);
  timer?.unref();
  if (!w.initial) follow();
  else
    void sendInitial(w.initial).then(
      (more) => {
        if (more) follow();
      },
      drop,
    );
  req.on('close', end);
  res.on('error', end);
}
