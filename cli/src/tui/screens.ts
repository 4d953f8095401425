// What the TUI shows (a stack of screens: Esc pops) and what the keyboard is doing (the mode).
import type { Obj } from '../lib/client.js';
import type { ViewId } from './views.js';

export type Screen =
  | { type: 'list'; view: ViewId; filter: string; cursor: number }
  | { type: 'describe'; view: ViewId; name: string; scroll: number }
  | { type: 'log'; run: string; scroll: number }
  | { type: 'help'; of: Screen };

export type Mode =
  | { type: 'normal' }
  | { type: 'command'; text: string }
  | { type: 'filter'; text: string }
  | { type: 'namespace'; text: string }
  | { type: 'snooze'; finding: string; text: string }
  /** approve/reject a run; DANGEROUS ones need the node's name typed. */
  | { type: 'confirm'; action: 'approve' | 'reject'; run: Obj; typed: string };

export interface Flash {
  text: string;
  error: boolean;
}

export const listScreen = (view: ViewId): Screen => ({ type: 'list', view, filter: '', cursor: 0 });

/** The view a screen belongs to (help and logs count as their parent's). */
export function viewOf(s: Screen): ViewId {
  if (s.type === 'help') return viewOf(s.of);
  return s.type === 'log' ? 'runs' : s.view;
}
