// Colours of the TUI: they follow severity, health, risk and phase, and vanish with NO_COLOR (the text
// always carries the meaning too, so nothing is lost without them).
export type Colour = 'red' | 'yellow' | 'green' | 'cyan' | 'blue' | 'gray' | 'magenta';

/** NO_COLOR (any non-empty value, https://no-color.org) turns every colour off. */
export const colourOn = (env: NodeJS.ProcessEnv = process.env): boolean => !env.NO_COLOR;

const BY_WORD: Record<string, Colour> = {
  // severity
  CRITICAL: 'red', WARN: 'yellow', INFO: 'blue',
  // health buckets
  critical: 'red', warning: 'yellow', healthy: 'green',
  // risk
  DANGEROUS: 'red', CONFIRM: 'yellow', SAFE: 'green',
  // phases
  Failed: 'red', RolledBack: 'red', Lost: 'red', AwaitingApproval: 'yellow', Snoozed: 'gray', Open: 'yellow',
  Remediating: 'cyan', Running: 'cyan', Claimed: 'cyan', Pending: 'gray', Succeeded: 'green', Resolved: 'green', Cancelled: 'gray',
  // readiness, event types, rollouts
  True: 'green', False: 'red', Unknown: 'gray', Warning: 'yellow', Normal: 'gray', Paused: 'red', Complete: 'green', Progressing: 'cyan', Suspended: 'gray',
};

/** The colour a status word is shown in, if any. */
export const colourOf = (word: string | undefined): Colour | undefined => (word ? BY_WORD[word] : undefined);

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of percentages (0-100), newest last, at most `width` wide. */
export function sparkline(values: number[], width: number): string {
  return values
    .slice(-width)
    .map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.floor((v / 100) * BARS.length)))])
    .join('');
}

/** Cuts text to `width` columns, marking the cut. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}
