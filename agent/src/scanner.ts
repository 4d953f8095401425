// Probes on a schedule and on change: a full scan every scan interval, and the probes watching a file
// re-run within a second of that file changing (chokidar, debounced). Keeps the latest result per field.
import chokidar from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { localPath, probesWatching, runProbes } from './probes/index.js';
import type { HostAccess, Probe, ProbeResult } from './probes/index.js';

export class Scanner {
  private result: ProbeResult = {};
  private observedAt = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = new Set<Probe>();
  private debounce: NodeJS.Timeout | undefined;
  private byFile = new Map<string, Probe[]>();
  /** Scans overlap (a file change during a full scan): each probe keeps only the result of its newest start. */
  private started = 0;
  private mergedStart = new Map<string, number>();

  constructor(
    private readonly probes: Probe[],
    private readonly host: HostAccess,
    private readonly o: { scanMs: number; log: Logger; onChange: () => void; onScanned?: (full: boolean) => void },
  ) {}

  get latest(): ProbeResult {
    return this.result;
  }

  observed(field: string): string | undefined {
    return this.observedAt.get(field);
  }

  async start(): Promise<void> {
    await this.scan(this.probes);
    await this.watch();
    this.timer = setInterval(() => void this.scan(this.probes).then(() => this.watch()), this.o.scanMs);
    this.timer.unref();
  }

  /** Runs some probes now (all after a run, or those whose files changed) and merges what they saw. */
  async scan(all: Probe[]): Promise<void> {
    const start = ++this.started;
    const ran = await runProbes(all, this.host);
    // A probe a later-started scan already reported is left alone: this scan read the files before that one
    // did, so its answer is older (a run's re-probe finishing after the re-probe of the file it then removed).
    const probes = all.filter((p) => (this.mergedStart.get(p.name) ?? 0) < start);
    // A full scan stays full when some of its probes were superseded: their newer answers are already in.
    const full = this.probes.every((p) => all.includes(p));
    if (!probes.length) {
      this.o.onScanned?.(full);
      return;
    }
    for (const p of probes) this.mergedStart.set(p.name, start);
    const names = new Set(probes.map((p) => p.name));
    const fresh = Object.fromEntries(Object.entries(ran).filter(([k]) => names.has(k.split(/[.:]/)[0]!)));
    const now = new Date().toISOString();
    // Fields of the re-run probes are replaced as a whole: one that disappeared is gone.
    const kept = Object.fromEntries(Object.entries(this.result).filter(([k]) => !names.has(k.split(/[.:]/)[0]!)));
    let changed = false;
    for (const [k, v] of Object.entries(fresh)) {
      if (JSON.stringify(this.result[k]) !== JSON.stringify(v)) changed = true;
      this.observedAt.set(k, now);
    }
    if (Object.keys(this.result).some((k) => names.has(k.split(/[.:]/)[0]!) && !(k in fresh))) changed = true;
    this.result = { ...kept, ...fresh };
    if (changed) this.o.onChange();
    // The scanners evaluate every field's latest value after any scan; a full one also re-reads the findings.
    this.o.onScanned?.(full);
  }

  private async watch(): Promise<void> {
    const map = await probesWatching(this.probes, this.host);
    const files = [...map.keys()].map((f) => localPath(this.host.root, f));
    const same = files.length === this.byFile.size && files.every((f) => this.byFile.has(f));
    if (same && this.watcher) return;
    this.byFile = new Map([...map].map(([f, p]) => [localPath(this.host.root, f), p]));
    await this.watcher?.close();
    this.watcher = chokidar.watch(files, { ignoreInitial: true, depth: 0, persistent: false, awaitWriteFinish: false });
    this.watcher.on('all', (_event, path) => this.changed(path));
    this.watcher.on('error', (err) => this.o.log.warn({ err: (err as Error).message }, 'file watch error; the interval scan still runs'));
  }

  private changed(path: string): void {
    for (const [file, probes] of this.byFile) {
      if (path === file || path.startsWith(`${file}/`)) probes.forEach((p) => this.pending.add(p));
    }
    if (this.pending.size === 0) return;
    // Coalesce a burst of writes (an editor's save) into one re-probe, well inside a second.
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      const probes = [...this.pending];
      this.pending.clear();
      void this.scan(probes);
    }, 150);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    await this.watcher?.close();
  }
}
