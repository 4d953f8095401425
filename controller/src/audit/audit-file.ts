// The audit log file: JSON lines appended with one write per burst (O_APPEND keeps them whole), mode 0600 in
// a 0700 directory. Past maxBytes it is rotated: renamed to audit-<time>.jsonl beside it (names sort by
// time) and a new one started; only the newest maxBackups of those are kept (0 keeps all), so the audit trail
// cannot fill the disk the store lives on. A failure is logged and the lines are written on: losing the
// rotation is better than losing entries.
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Logger } from 'pino';

export interface AuditFileOptions {
  file: string;
  /** Size past which the file is rotated; 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept, newest first; 0 keeps all. */
  maxBackups: number;
  log: Logger;
  now?: () => Date;
}

export interface AuditFile {
  /** Appends the bytes. On failure the file is closed (reopened on the next call) and the error thrown. */
  append(buf: Buffer): Promise<void>;
  close(): Promise<void>;
}

export function openAuditFile(o: AuditFileOptions): AuditFile {
  const { file, log } = o;
  const dir = dirname(file);
  const stem = basename(file, extname(file));
  const ext = extname(file);
  let handle: FileHandle | undefined;
  let size = 0;

  const openFile = async (): Promise<FileHandle> => {
    if (handle) return handle;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const h = await open(file, 'a', 0o600);
    try {
      await h.chmod(0o600); // an existing file made by someone else's umask
    } catch (err) {
      log.warn({ err, file }, 'audit: could not make the audit log readable by its owner only');
    }
    size = (await h.stat()).size;
    handle = h;
    return h;
  };
  const closeFile = async (): Promise<void> => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };

  /** The rotated files, oldest first (only names rotate() makes: nothing else in the directory is touched). */
  const rotated = new RegExp(`^${escape(stem)}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z(-\\d+)?${escape(ext)}$`);
  const backups = async (): Promise<string[]> => (await readdir(dir)).filter((n) => rotated.test(n)).sort();

  const rotate = async (): Promise<void> => {
    try {
      await closeFile();
      // 2026-11-22T04-50-00.123Z: no colons (portable names), and the names sort by time.
      const stamp = (o.now?.() ?? new Date()).toISOString().replace(/:/g, '-');
      let target = join(dir, `${stem}-${stamp}${ext}`);
      for (let i = 1; (await backups()).includes(basename(target)); i++) target = join(dir, `${stem}-${stamp}-${i}${ext}`);
      await rename(file, target);
      log.info({ file, rotatedTo: target }, 'audit: audit log rotated');
      if (o.maxBackups > 0) {
        const old = await backups();
        for (const n of old.slice(0, Math.max(0, old.length - o.maxBackups))) await unlink(join(dir, n));
      }
    } catch (err) {
      log.error({ err, file }, 'audit: could not rotate the audit log; appending to it as it is');
    }
  };

  return {
    async append(buf) {
      try {
        let h = await openFile();
        if (o.maxBytes > 0 && size > 0 && size + buf.length > o.maxBytes) {
          await rotate();
          h = await openFile();
        }
        let off = 0;
        while (off < buf.length) off += (await h.write(buf, off, buf.length - off)).bytesWritten;
        size += buf.length;
      } catch (err) {
        await closeFile().catch(() => undefined);
        throw err;
      }
    },
    close: closeFile,
  };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
