// Run logs: what a Run's steps printed, appended by the node's agent in chunks and read (or followed) by
// people. Chunks are separate store keys so an append never rewrites the log; only the newest 4 MiB are
// kept, and the byte total says how much was dropped before them.
import type { Store } from '../store/types.js';

export const LOG_TAIL_BYTES = 4 * 1024 * 1024;
const CHUNK_MAX = 256 * 1024;

interface Meta {
  /** Bytes ever appended. */
  bytes: number;
  /** Byte offset of the oldest chunk still kept. */
  firstOffset: number;
  firstSeq: number;
  nextSeq: number;
}

interface Chunk {
  offset: number;
  data: string;
}

export interface LogRead {
  text: string;
  /** Offset of the first byte of `text` in the whole log (bytes before it were dropped or skipped). */
  fromByte: number;
  /** Bytes ever appended. */
  bytes: number;
}

const metaKey = (ns: string, name: string): string => `/hyprbox/runlogs/${ns}/${name}`;
const chunkKey = (ns: string, name: string, seq: number): string => `${metaKey(ns, name)}/${String(seq).padStart(12, '0')}`;

export class RunLogs {
  constructor(
    private readonly store: Store,
    private readonly tailBytes = LOG_TAIL_BYTES,
  ) {}

  /** Appends text; returns the byte total. Concurrent appends are serialised by the meta key's revision. */
  async append(ns: string, name: string, text: string): Promise<number> {
    let bytes = 0;
    for (let i = 0; i < text.length; i += CHUNK_MAX) bytes = await this.appendChunk(ns, name, text.slice(i, i + CHUNK_MAX));
    return bytes;
  }

  private async appendChunk(ns: string, name: string, data: string): Promise<number> {
    const size = Buffer.byteLength(data);
    for (let attempt = 0; attempt < 20; attempt++) {
      const kv = await this.store.get(metaKey(ns, name));
      const meta: Meta = kv ? (JSON.parse(kv.value) as Meta) : { bytes: 0, firstOffset: 0, firstSeq: 0, nextSeq: 0 };
      const next: Meta = { ...meta, bytes: meta.bytes + size, nextSeq: meta.nextSeq + 1 };
      // Claim the sequence number first: whoever wins the meta update owns it.
      const won = kv ? await this.store.update(kv.key, JSON.stringify(next), kv.modRevision) : await this.store.create(metaKey(ns, name), JSON.stringify(next));
      if (!won.ok) continue;
      await this.store.create(chunkKey(ns, name, meta.nextSeq), JSON.stringify({ offset: meta.bytes, data } satisfies Chunk));
      await this.trim(ns, name);
      return next.bytes;
    }
    throw new Error(`could not append to the log of run ${ns}/${name}: too much contention`);
  }

  /** Drops the oldest chunks while the kept bytes exceed the tail. */
  private async trim(ns: string, name: string): Promise<void> {
    for (;;) {
      const kv = await this.store.get(metaKey(ns, name));
      if (!kv) return;
      const meta = JSON.parse(kv.value) as Meta;
      if (meta.bytes - meta.firstOffset <= this.tailBytes || meta.firstSeq >= meta.nextSeq - 1) return;
      const oldest = await this.store.get(chunkKey(ns, name, meta.firstSeq));
      const size = oldest ? Buffer.byteLength((JSON.parse(oldest.value) as Chunk).data) : 0;
      const r = await this.store.update(kv.key, JSON.stringify({ ...meta, firstSeq: meta.firstSeq + 1, firstOffset: meta.firstOffset + size }), kv.modRevision);
      if (r.ok && oldest) await this.store.delete(oldest.key);
    }
  }

  async read(ns: string, name: string, fromByte = 0): Promise<LogRead> {
    const prefix = `${metaKey(ns, name)}/`;
    const [meta, page] = await Promise.all([this.store.get(metaKey(ns, name)), this.store.range(prefix)]);
    const total = meta ? (JSON.parse(meta.value) as Meta).bytes : 0;
    const chunks = page.kvs.map((kv) => JSON.parse(kv.value) as Chunk);
    let text = '';
    let start: number | undefined;
    for (const c of chunks) {
      const end = c.offset + Buffer.byteLength(c.data);
      if (end <= fromByte) continue;
      const buf = Buffer.from(c.data);
      const skip = Math.max(0, fromByte - c.offset);
      start ??= c.offset + skip;
      text += buf.subarray(skip).toString();
    }
    return { text, fromByte: start ?? total, bytes: total };
  }

  /** Calls onChunk for every chunk appended from now on; returns a cancel function. */
  follow(ns: string, name: string, fromRevision: number, onChunk: (c: { offset: number; data: string }) => void, onError: (err: Error) => void): () => void {
    const w = this.store.watch(`${metaKey(ns, name)}/`, {
      fromRevision,
      onEvents: (events) => {
        for (const e of events) if (e.type === 'put') onChunk(JSON.parse(e.kv.value) as Chunk);
      },
      onError,
    });
    return () => w.cancel();
  }

  async remove(ns: string, name: string): Promise<void> {
    const page = await this.store.range(`${metaKey(ns, name)}/`);
    for (const kv of page.kvs) await this.store.delete(kv.key);
    await this.store.delete(metaKey(ns, name));
  }
}
