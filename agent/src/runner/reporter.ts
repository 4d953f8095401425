// Writes Run statuses to the controller: only the latest status of each Run is kept, and a write that fails
// is retried with backoff until it succeeds (a controller outage must not leave a Run `Running` forever).
// A 404 (the Run is gone) or a 409 ends the retries for that Run: no later write can succeed.
import type { RunStatus } from '@hyprbox/crds';
import type { Logger } from 'pino';
import { Backoff, sleep } from '../backoff.js';
import { classify } from '../kube.js';

export interface ReportOptions {
  /** Wait for this (at most AFTER_MAX_MS) before the first attempt: the final status follows the last output. */
  after?: Promise<unknown>;
  /** Called once this status was written, or will never be (the Run is gone); not when a newer status replaced it. */
  onDone?: (outcome: 'written' | 'gone') => void;
}

interface Job extends ReportOptions {
  status: Partial<RunStatus>;
}

interface Entry {
  next?: Job;
  backoff: Backoff;
  failing: boolean;
}

const AFTER_MAX_MS = 10_000;

export class RunReporter {
  private readonly entries = new Map<string, Entry>();
  private readonly loops = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly write: (name: string, status: Partial<RunStatus>) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  /** Reports `status` for Run `name`, replacing a status of it not yet written. */
  report(name: string, status: Partial<RunStatus>, o: ReportOptions = {}): void {
    const entry = this.entries.get(name);
    // Snapshot: the caller keeps mutating its status object.
    const job: Job = { ...o, status: structuredClone(status) };
    if (entry) {
      entry.next = job;
      return;
    }
    const e: Entry = { next: job, backoff: new Backoff(1000, 60_000), failing: false };
    this.entries.set(name, e);
    const loop = this.loop(name, e).finally(() => {
      this.entries.delete(name);
      this.loops.delete(loop);
    });
    this.loops.add(loop);
  }

  private async loop(name: string, e: Entry): Promise<void> {
    while (e.next && !this.stopping.signal.aborted) {
      const job = e.next;
      e.next = undefined;
      if (job.after) await Promise.race([job.after.catch(() => undefined), sleep(AFTER_MAX_MS, this.stopping.signal)]);
      try {
        await this.write(name, job.status);
        if (e.failing) this.log.info({ run: name }, 'run status written after the controller answered again');
        e.failing = false;
        e.backoff.reset();
        job.onDone?.('written');
      } catch (err) {
        const c = classify(err);
        if (c.kind === 'notfound' || c.kind === 'conflict') {
          this.log.warn({ run: name, code: c.code, err: c.message }, 'run status not written: the run is gone or changed; not retrying');
          job.onDone?.('gone');
          (e.next as Job | undefined)?.onDone?.('gone');
          return;
        }
        if (!e.failing) this.log.warn({ run: name, code: c.code, err: c.message }, 'could not report run status; retrying with backoff');
        e.failing = true;
        // A newer status, if one came meanwhile, replaces this one.
        e.next ??= job;
        await sleep(e.backoff.next(), this.stopping.signal);
      }
    }
  }

  /** Resolves when every status was written (or given up), or after `ms`. */
  async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.loops.size && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.loops]), sleep(deadline - Date.now())]);
    }
  }

  /** Stops retrying (the agent exits; a finished Run's result is in the state directory for the next start). */
  stop(): void {
    this.stopping.abort();
  }
}
