// Maintenance windows: a cron schedule (in a time zone) opens a window of a given duration. Runs start only
// inside a window when the profile or the node declares any; the reconciler waits for the next opening.
import { Cron } from 'croner';

export interface MaintenanceWindow {
  schedule: string;
  duration: string;
  timeZone?: string;
}

/** Go-style durations as the CRDs write them: 2h, 90m, 1h30m, 45s. */
export function durationMs(d: string): number {
  let total = 0;
  let consumed = 0;
  for (const m of d.matchAll(/(\d+)(h|m|s)/g)) {
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'h' | 'm' | 's'];
    consumed += m[0].length;
  }
  if (consumed !== d.length || total <= 0) throw new Error(`"${d}" is not a duration like 2h or 90m`);
  return total;
}

export type WindowState = { open: true } | { open: false; nextOpen?: Date; reason: string };

/** Open when `now` falls in [occurrence, occurrence + duration) of any window; no windows = always open. */
export function windowState(windows: MaintenanceWindow[] | undefined, now: Date): WindowState {
  if (!windows || windows.length === 0) return { open: true };
  let next: Date | undefined;
  for (const w of windows) {
    let cron: Cron;
    let length: number;
    try {
      cron = new Cron(w.schedule, { timezone: w.timeZone ?? 'UTC', paused: true });
      length = durationMs(w.duration);
    } catch (err) {
      return { open: false, reason: `maintenance window "${w.schedule}" is invalid: ${(err as Error).message}` };
    }
    // The first opening at or after (now - duration) tells whether we are inside one.
    const first = cron.nextRun(new Date(now.getTime() - length - 1));
    if (first && first.getTime() <= now.getTime() && now.getTime() < first.getTime() + length) return { open: true };
    const upcoming = cron.nextRun(now);
    if (upcoming && (!next || upcoming < next)) next = upcoming;
  }
  return { open: false, ...(next ? { nextOpen: next } : {}), reason: `outside the maintenance window${next ? ` (next opens ${next.toISOString()})` : ''}` };
}
