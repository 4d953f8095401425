// A client watch over HTTP: a chunked stream of `{"type": ..., "object": ...}` lines, fed by the watch cache.
// A client that does not read (its socket buffer grows past the cap) is disconnected: it will relist, and the
// server's memory stays bounded. Lines go out through an Outbox: one write per stream per event-loop turn.
import type { ServerResponse } from 'node:http';
import type { ApiRequest } from './http.js';
import type { Obj } from './admission.js';
import { ApiError } from './errors.js';
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
  onEnd?: () => void;
}

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
  const out = new Outbox(res, w.maxBufferedBytes, () => {
    if (ended) return;
    out.close();
    stop();
    res.destroy();
  });
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

  for (const obj of w.initial) send('ADDED', obj);
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
    if (err instanceof ApiError) {
      // Kubernetes reports an expired resourceVersion inside the stream, so clients relist.
      write(`{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`);
      end();
      return;
    }
    throw err;
  }
  if (w.timeoutSeconds && w.timeoutSeconds > 0) timer = setTimeout(end, w.timeoutSeconds * 1000);
  timer?.unref();
  req.on('close', end);
  res.on('error', end);
}
