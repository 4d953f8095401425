// Ships a Run's output to its log (POST .../runs/<name>/log) at least every second, with bounded memory: a
// step that floods its output keeps the head of the burst and a rolling tail, and the log gets a marker line
// where bytes were dropped. Chunks stay far below the controller's body limit; a failed chunk is retried with
// backoff while the controller is unreachable, and replaced by a marker when the controller refuses it.
import type { Logger } from 'pino';
import { Backoff, sleep } from '../backoff.js';
import { classify } from '../kube.js';

/**
 * Per section (a step): the first HEAD characters stream as they come; beyond them only a rolling tail of TAIL
 * characters is kept, sent when the section ends. A step's log stays under 1 MiB, so the controller's 4 MiB
 * tail of the Run's log keeps every step's header.
 */
const HEAD = 512 * 1024;
const TAIL = 256 * 1024;
/** The largest body sent at once (bytes). */
export const CHUNK_BYTES = 1024 * 1024;

export const droppedMarker = (bytes: number): string => `\n[... ${bytes} bytes of output dropped ...]\n`;

/** A section's output not yet handed to the sender: its head, what was dropped after it, and a rolling tail. */
class Section {
  private head: string;
  /** Characters of the head taken so far, sent or not. */
  private headTaken = 0;
  /** The tail as the pieces written (joining on every write would copy the whole tail each time). */
  private tail: string[] = [];
  private tailLength = 0;
  private dropped = 0;
  ended = false;

  constructor(head: string) {
    this.head = head;
  }

  add(text: string): void {
    if (this.headTaken < HEAD && this.tailLength === 0 && this.dropped === 0) {
      const room = HEAD - this.headTaken;
      const part = text.slice(0, room);
      this.head += part;
      this.headTaken += part.length;
      text = text.slice(room);
      if (!text) return;
    }
    this.tail.push(text);
    this.tailLength += text.length;
    while (this.tailLength > TAIL) {
      const first = this.tail[0]!;
      const cut = Math.min(first.length, this.tailLength - TAIL);
      this.dropped += Buffer.byteLength(first.slice(0, cut));
      this.tailLength -= cut;
      if (cut === first.length) this.tail.shift();
      else this.tail[0] = first.slice(cut);
    }
  }

  /** What can be sent now: the head so far; once the section ended, the marker and the tail as well. */
  take(): string {
    const head = this.head;
    this.head = '';
    if (!this.ended) return head;
    let tail = this.tail.join('');
    let dropped = this.dropped;
    if (dropped) {
      // The tail starts with a whole line.
      const nl = tail.indexOf('\n');
      if (nl !== -1 && nl < tail.length - 1) {
        dropped += Buffer.byteLength(tail.slice(0, nl + 1));
        tail = tail.slice(nl + 1);
      }
    }
    this.tail = [];
    this.tailLength = 0;
    this.dropped = 0;
    return head + (dropped ? droppedMarker(dropped) : '') + tail;
  }

  get pending(): boolean {
    return this.head !== '' || (this.ended && (this.tailLength > 0 || this.dropped > 0));
  }
}

/** Splits text into pieces of at most CHUNK_BYTES bytes of UTF-8. */
export function chunks(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest) {
    let n = Math.min(rest.length, CHUNK_BYTES);
    while (Buffer.byteLength(rest.slice(0, n)) > CHUNK_BYTES) n = Math.floor(n / 2);
    out.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  return out;
}

export class LogShipper {
  private sections: Section[] = [];
  private outbox: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sender: Promise<void> | undefined;
  private gone = false;
  /** Bytes the controller refused (or that were lost with a deleted Run), told in the next chunk. */
  private refused = 0;
  private readonly stop = new AbortController();
  /** Every byte of output written, shipped or not (the Run's status.logBytes). */
  bytes = 0;

  constructor(
    private readonly send: (text: string) => Promise<void>,
    private readonly log: Logger,
    private readonly run: string,
    private readonly backoff = new Backoff(1000, 30_000),
  ) {}

  /** Starts a new section (a step) with its header: kept whatever the previous section's output was. */
  section(header: string): void {
    for (const sec of this.sections) sec.ended = true;
    this.sections.push(new Section(header));
    this.schedule();
  }

  write(text: string): void {
    this.bytes += Buffer.byteLength(text);
    if (!this.sections.length) this.sections.push(new Section(''));
    this.sections[this.sections.length - 1]!.add(text);
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, 1000);
  }

  /** Hands what is buffered to the sender when it is idle (while it is busy the buffer stays bounded). */
  private kick(): void {
    if (this.sender || this.gone) return;
    const text = this.sections.map((s) => s.take()).join('');
    // The open section stays: its head budget counts across sends.
    this.sections = this.sections.filter((s) => !s.ended);
    if (!text && !this.refused) return;
    const marker = this.refused ? droppedMarker(this.refused) : '';
    this.refused = 0;
    this.outbox = chunks(marker + text);
    this.sender = this.drain().finally(() => {
      this.sender = undefined;
      if (this.sections.some((s) => s.pending) || this.refused) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.outbox.length && !this.gone) {
      const chunk = this.outbox[0]!;
      try {
        await this.send(chunk);
        this.outbox.shift();
        this.backoff.reset();
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.failed(chunk, err);
        if (this.outbox[0] === chunk) await sleep(this.backoff.next(), this.stop.signal);
      }
    }
  }

  /** Unreachable or a server error: retried. A refusal (4xx): the chunk is dropped, and a marker says so. */
  private failed(chunk: string, err: unknown): void {
    const c = classify(err);
    const refused = c.code !== undefined && c.code >= 400 && c.code < 500;
    this.log.warn({ run: this.run, err: c.message, code: c.code }, refused ? 'run output refused by the controller; dropped' : 'could not ship run output; retrying');
    if (!refused) return;
    this.outbox.shift();
    this.refused += Buffer.byteLength(chunk);
    if (c.kind === 'notfound') {
      // The Run is gone: nothing of it can be written any more.
      this.gone = true;
      this.outbox = [];
      this.sections = [];
    }
  }

  /** Sends what is buffered now; resolves when the sender is idle again (delivered, or given up). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.kick();
    while (this.sender) await this.sender;
  }

  /** Resolves when all output written so far reached the controller (or was dropped). */
  close(): Promise<void> {
    for (const sec of this.sections) sec.ended = true;
    return this.flush();
  }

  /** Stops retrying (the agent is exiting); what was not sent is lost. */
  abandon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stop.abort();
    this.gone = true;
  }
}
