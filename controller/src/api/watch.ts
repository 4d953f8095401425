// A client watch over HTTP: a chunked stream of `{"type": ..., "object": ...}` lines, fed by the watch cache.
// A client that does not read (its socket buffer grows past the cap) is disconnected: it will relist, and the
// server's memory stays bounded. Lines go out through an Outbox: one write per stream per event-loop turn.
// The current state that a watch without a resourceVersion starts with can be a whole kind (thousands of
// large objects): it goes out in chunks, each one written only once the client took the last, with the event
// loop free between them; live events follow from the watch cache, replayed from the state's revision.
import type { ServerResponse } from 'node:http';
import type { ApiRequest } from './http.js';
import type { Obj } from './admission.js';
import { ApiError, internalError } from './errors.js';
import { tableForWatchEvent } from './table.js';
import type { IncludeObject, TableApiVersion } from './table.js';
import { eventLine } from './watch-cache.js';
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
  /** Objects to send as ADDED before live events (watch without a resourceVersion). */
  initial: Obj[];
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

/** The current state is written this much at a time. */
const INITIAL_CHUNK = 256 * 1024;
const STALL_MS = 60_000;

export function serveWatch(req: ApiRequest, res: ServerResponse, w: WatchRequest): void {
  const { cache } = w;
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
  const out = new Outbox(res, w.maxBufferedBytes, () => drop());
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
  /** The current state as ADDED events; false when the stream ended meanwhile. */
  const sendInitial = async (): Promise<boolean> => {
    const items = w.initial;
    for (let i = 0; i < items.length; i++) {
      if (ended) return false;
      if (cache.isStopped) {
        end();
        return false;
      }
      send('ADDED', items[i]!);
      if (out.queuedBytes >= INITIAL_CHUNK) {
        if (!(await out.drained(INITIAL_CHUNK, w.stallMs ?? STALL_MS))) {
          drop();
          return false;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return !ended;
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
        if (reason === 'expired') {
          const status = new ApiError(410, 'Expired', 'the watch cache lost continuity; relist').toStatus();
          write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
        }
        end();
      },
    };
    try {
      unsubscribe = cache.subscribe(sub);
    } catch (err) {
      // Kubernetes reports an expired resourceVersion inside the stream, so clients relist.
      const status = (err instanceof ApiError ? err : internalError()).toStatus();
      write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      end();
    }
  };

  if (w.timeoutSeconds && w.timeoutSeconds > 0) timer = setTimeout(end, w.timeoutSeconds * 1000);
  timer?.unref();
  if (w.initial.length === 0) follow();
  else
    void sendInitial().then(
      (more) => {
        if (more) follow();
      },
      drop,
    );
  req.on('close', end);
  res.on('error', end);
}
