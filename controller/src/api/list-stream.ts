// A list answered as it is read: a list without a limit can be a whole kind (thousands of large objects), and
// a hundred clients asking for one at once must not make the server hold a hundred copies of it. The store is
// read a page at a time (all pages at the revision of the first), each page encoded and written once the
// client has taken most of the last one, with the event loop free between pages. The answer is the same
// document a whole list would be, sent chunked. A page that fails after the status line was sent (history
// compacted under a very slow reader, the store gone) can only cut the answer short: the client sees a
// broken response and lists again.
import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import type { Obj } from './admission.js';
import { ANSWER_CHUNK, STALL_MS, drained, turn } from './drain.js';

/** The text around the items: `head` and `open`, the pages joined by `sep`, then `close`. */
export interface ListFrame {
  contentType: string;
  head: string;
  open: string;
  sep: string;
  close: string;
  /** A page's items as text. */
  encode(items: Obj[]): string;
}

/**
 * The frame of a list document whose last field (`field`: items, or a Table's rows) is built page by page;
 * `envelope` is the document with that field empty, `itemsOf` what one page contributes to it.
 */
export function listFrame(envelope: Record<string, unknown>, field: string, itemsOf: (page: Obj[]) => unknown[], yaml: boolean): ListFrame {
  if (yaml) {
    const { [field]: _, ...rest } = envelope;
    // A block sequence may sit at the indentation of its key: `rows:` then `- ...` lines, page after page.
    return { contentType: 'application/yaml; charset=utf-8', head: toYaml(rest), open: `${field}:\n`, sep: '', close: '', encode: (page) => toYaml(itemsOf(page)) };
  }
  const { [field]: _, ...rest } = envelope;
  const whole = JSON.stringify({ ...rest, [field]: [] });
  return {
    contentType: 'application/json; charset=utf-8',
    head: whole.slice(0, -3), // up to and with `"items":`
    open: '[',
    sep: ',',
    close: ']}',
    encode: (page) => JSON.stringify(itemsOf(page)).slice(1, -1),
  };
}

export async function streamList(res: ServerResponse, frame: ListFrame, pages: AsyncIterator<Obj[]>, onError: (err: unknown) => void, stallMs = STALL_MS): Promise<void> {
  res.writeHead(200, { 'Content-Type': frame.contentType });
  // Only a list whose first page is full is streamed: there is always an item after `open`.
  res.write(frame.head + frame.open);
  let any = false;
  try {
    for (;;) {
      const page = await pages.next();
      if (res.destroyed) return;
      if (page.done) break;
      if (page.value.length === 0) continue;
      res.write(`${any ? frame.sep : ''}${frame.encode(page.value)}`);
      any = true;
      if (!(await drained(res, ANSWER_CHUNK, stallMs))) {
        res.destroy();
        return;
      }
      await turn();
    }
  } catch (err) {
    onError(err);
    res.destroy();
    return;
  }
  res.end(frame.close);
}
