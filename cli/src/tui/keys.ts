// The keys of each screen, for the footer hints and the `?` help: change keys (approve, reject, snooze) are
// listed only for a caller allowed to change things.
import type { Screen } from './screens.js';
import { VIEWS } from './views.js';

export interface KeyHelp {
  key: string;
  what: string;
  /** The footer's word for it. */
  short: string;
  /** Changes something: hidden for a viewer. */
  change?: boolean;
}

const COMMON: KeyHelp[] = [
  { key: ':', short: 'view', what: 'command (:nodes :profiles :findings :runs :events :presets :ns <name> :q), Tab completes' },
  { key: 'n', short: 'ns', what: 'switch namespace' },
  { key: '?', short: 'help', what: 'keys of this view' },
  { key: 'esc', short: 'back', what: 'back (clears the filter first)' },
];

export function keysOf(s: Screen, canChange: boolean): KeyHelp[] {
  let keys: KeyHelp[];
  if (s.type === 'help') keys = [{ key: 'esc', short: 'back', what: 'back' }];
  else if (s.type === 'log') keys = [{ key: '↑↓ pgup pgdn', short: 'scroll', what: 'scroll (G: follow the end)' }, ...COMMON];
  else {
    const view = VIEWS[s.view];
    const nav: KeyHelp[] = s.type === 'list' ? [{ key: '↑↓ j k', short: 'move', what: 'move' }, { key: '/', short: 'filter', what: 'filter: text, -l key=value, ! inverts' }, { key: 'enter', short: 'describe', what: 'describe' }] : [{ key: '↑↓', short: 'scroll', what: 'scroll' }];
    const log: KeyHelp[] = view.id === 'runs' || view.id === 'findings' ? [{ key: 'l', short: 'log', what: "follow the run's log" }] : [];
    const acts: KeyHelp[] = [];
    if (view.actions.includes('a')) acts.push({ key: 'a', short: 'approve', what: view.id === 'findings' ? "approve the finding's run" : 'approve the run', change: true });
    if (view.actions.includes('x')) acts.push({ key: 'x', short: 'reject', what: view.id === 'findings' ? "reject the finding's run" : 'reject the run', change: true });
    if (view.actions.includes('s')) acts.push({ key: 's', short: 'snooze', what: 'snooze the finding', change: true });
    keys = [...nav, ...log, ...acts, ...COMMON];
  }
  return keys.filter((k) => canChange || !k.change);
}

/** One footer line of hints: `<key>word` pairs. */
export const hintLine = (keys: KeyHelp[]): string => keys.map((k) => `<${k.key.split(' ')[0]}>${k.short}`).join(' ');
