// `hyprbox tui`: the screen stack, the modes of the keyboard, and the layout (header, body, prompt and
// hints). Everything shown comes from the LiveStore's watches; keys that change things go through act.ts.
import { Box, Text, useApp, useInput } from 'ink';
import type { Key } from 'ink';
import { useState, useSyncExternalStore } from 'react';
import type { WhoAmI } from '../lib/actions.js';
import { roleIn } from '../lib/actions.js';
import type { Client, Obj } from '../lib/client.js';
import type { Resources } from '../lib/resources.js';
import { applyConfirmed, nodeOf, riskOf, snooze, targetRun } from './act.js';
import { body, openSeveritiesOf, promptLine, title } from './Body.js';
import { parseCommand, tabComplete } from './commands.js';
import { matches, parseFilter } from './filter.js';
import { Header } from './Header.js';
import { useClock, useRefState, useSize } from './hooks.js';
import { hintLine, keysOf } from './keys.js';
import type { LiveStore } from './live.js';
import type { Flash, Mode, Screen } from './screens.js';
import { listScreen, viewOf } from './screens.js';
import { colourOn, fit } from './style.js';
import { rowText } from './Table.js';
import { VIEWS, nodeHealth, sortRows } from './views.js';
import type { RowContext, ViewId } from './views.js';

export interface TuiProps {
  client: Client;
  resources: Resources;
  store: LiveStore;
  context: string;
  namespace: string;
  /** The caller (GET /hyprbox/v1/whoami); undefined when the server could not say: the server decides. */
  me?: WhoAmI;
  view?: ViewId;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  colour?: boolean;
}

/** operator and admin may change things; a viewer (or someone with no role here) only reads. */
export const mayChange = (me: WhoAmI | undefined, ns: string): boolean => !me || ['operator', 'admin'].includes(roleIn(me, ns) ?? '');

export function App(p: TuiProps) {
  const { exit } = useApp();
  const size = useSize(p.size);
  const now = useClock();
  useSyncExternalStore(p.store.subscribe, p.store.getVersion);
  const [ns, setNs, getNs] = useRefState(p.namespace);
  const [stack, setStack, getStack] = useRefState<Screen[]>([listScreen(p.view ?? 'nodes')]);
  const [mode, setMode, getMode] = useRefState<Mode>({ type: 'normal' });
  const [flash, setFlash] = useState<Flash | undefined>();
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const colour = p.colour ?? colourOn();
  const ctx: RowContext = { now, history: p.store.history, spark: size.columns >= 140 ? 20 : size.columns >= 100 ? 12 : 6, lease: (n) => p.store.get('leases', n), openSeverities: openSeveritiesOf(p.store.list('findings')) };

  /** What the screen shows for a state: the top screen, its rows (filtered), the cursor and the selection. */
  const derive = (st: Screen[], m: Mode, space: string) => {
    const top = st[st.length - 1]!;
    const view = viewOf(top);
    const def = VIEWS[view];
    const filter = top.type === 'list' ? parseFilter(m.type === 'filter' ? m.text : top.filter) : undefined;
    const rows = sortRows(view, p.store.list(view)).filter((o) => !filter || matches(filter, o, rowText(def, o, ctx)));
    const cursor = top.type === 'list' ? Math.min(top.cursor, Math.max(0, rows.length - 1)) : 0;
    const selected = top.type === 'list' ? rows[cursor] : top.type === 'describe' ? p.store.get(top.view, top.name) : undefined;
    return { top, view, def, rows, cursor, selected, canChange: mayChange(p.me, space) };
  };
  const { top, view, rows, cursor, selected, canChange } = derive(stack, mode, ns);

  const replaceTop = (s: Screen) => setStack((st) => [...st.slice(0, -1), s]);
  const push = (s: Screen) => setStack((st) => [...st, s]);
  const say = (text: string, error = false) => setFlash({ text, error });
  const fail = (err: unknown) => say((err as Error).message, true);
  const readOnly = () => say(`read-only: ${p.me?.name ?? 'you'} may not change anything in ${getNs()} (viewer)`, true);

  const switchNamespace = (name: string) => {
    setNs(name);
    p.store.start(p.client, p.resources, name);
    setStack((st) => [listScreen(viewOf(st[st.length - 1]!))]);
    say(`namespace ${name}`);
  };

  const loadNamespaces = () =>
    p.client
      .json<{ items: Obj[] }>('GET', '/api/v1/namespaces')
      .then((l) => setNamespaces(l.items.map((n) => n.metadata.name ?? '')))
      .catch(fail);

  const handleKey = (input: string, key: Key): void => {
    // Everything below reads the newest state, not the last render's.
    const m = getMode();
    const d = derive(getStack(), m, getNs());
    const space = getNs();

    /** a / x: find the run, then ask (the confirmation names the risk). */
    const startConfirm = (action: 'approve' | 'reject') => {
      if (!d.canChange) return readOnly();
      if (!d.def.actions.includes(action === 'approve' ? 'a' : 'x')) return say(`nothing to ${action} in ${d.def.title.toLowerCase()}`, true);
      targetRun(p.client, space, d.view, d.selected)
        .then((run) => setMode({ type: 'confirm', action, run, typed: '' }))
        .catch(fail);
    };

    const runConfirmed = (c: Extract<Mode, { type: 'confirm' }>) => {
      setMode({ type: 'normal' });
      applyConfirmed(p.client, space, c.action, c.run, p.me).then((t) => say(t), fail);
    };

    const onPrompt = (pm: Exclude<Mode, { type: 'normal' | 'confirm' }>): void => {
      if (key.escape) return setMode({ type: 'normal' });
      if (key.backspace || key.delete) return setMode({ ...pm, text: pm.text.slice(0, -1) });
      if (key.tab && (pm.type === 'command' || pm.type === 'namespace')) {
        const typed = pm.type === 'namespace' ? `ns ${pm.text}` : pm.text;
        const done = tabComplete(typed, namespaces);
        return setMode({ ...pm, text: pm.type === 'namespace' ? done.replace(/^ns /, '') : done });
      }
      if (!key.return) return input && !key.ctrl && !key.meta ? setMode({ ...pm, text: pm.text + input }) : undefined;
      setMode({ type: 'normal' });
      if (pm.type === 'filter' && d.top.type === 'list') return replaceTop({ ...d.top, filter: pm.text, cursor: 0 });
      if (pm.type === 'namespace') return pm.text ? switchNamespace(pm.text) : undefined;
      if (pm.type === 'snooze') return void snooze(p.client, space, pm.finding, pm.text).then((t) => say(t), fail);
      if (pm.type === 'command') {
        const c = parseCommand(pm.text);
        if (c.kind === 'error') return say(c.message, true);
        if (c.kind === 'quit') return exit();
        if (c.kind === 'help') return push({ type: 'help', of: d.top });
        if (c.kind === 'namespace') return switchNamespace(c.name);
        return push(listScreen(c.view));
      }
    };

    const onConfirm = (c: Extract<Mode, { type: 'confirm' }>): void => {
      if (key.escape) return (setMode({ type: 'normal' }), say('cancelled'));
      if (riskOf(c.run) !== 'DANGEROUS') {
        if (input === 'y' || input === 'Y') return runConfirmed(c);
        return (setMode({ type: 'normal' }), say('cancelled'));
      }
      if (key.backspace || key.delete) return setMode({ ...c, typed: c.typed.slice(0, -1) });
      if (!key.return) return input ? setMode({ ...c, typed: c.typed + input }) : undefined;
      if (c.typed === nodeOf(c.run)) return runConfirmed(c);
      setMode({ type: 'normal' });
      say(`not confirmed: "${c.typed}" is not the node name ${nodeOf(c.run)}`, true);
    };

    const scrollBy = (n: number) => {
      const t = d.top;
      if (t.type === 'list') replaceTop({ ...t, cursor: Math.max(0, Math.min(d.rows.length - 1, d.cursor + n)) });
      else if (t.type === 'describe' || t.type === 'log') replaceTop({ ...t, scroll: Math.max(0, (t.scroll < 0 ? 1e9 : t.scroll) + n) });
    };

    const onNormal = (): void => {
      setFlash(undefined);
      const t = d.top;
      const page = Math.max(1, size.rows - 8);
      if (key.escape) {
        // A filter goes first, then the screen.
        if (t.type === 'list' && t.filter) return replaceTop({ ...t, filter: '', cursor: 0 });
        if (getStack().length > 1) setStack((st) => st.slice(0, -1));
        return;
      }
      if (key.upArrow || input === 'k') return scrollBy(-1);
      if (key.downArrow || input === 'j') return scrollBy(1);
      if (key.pageUp) return scrollBy(-page);
      if (key.pageDown) return scrollBy(page);
      if (input === 'G' && t.type === 'log') return replaceTop({ ...t, scroll: -1 });
      if (input === ':') return setMode({ type: 'command', text: '' });
      if (input === '?') return t.type === 'help' ? undefined : push({ type: 'help', of: t });
      if (input === 'n') return (void loadNamespaces(), setMode({ type: 'namespace', text: '' }));
      if (input === '/' && t.type === 'list') return setMode({ type: 'filter', text: t.filter });
      if (key.return && t.type === 'list' && d.selected) return push({ type: 'describe', view: d.view, name: d.selected.metadata.name!, scroll: 0 });
      if (input === 'l' && (d.view === 'runs' || d.view === 'findings') && d.selected && t.type !== 'log' && t.type !== 'help') {
        const run = d.view === 'runs' ? d.selected.metadata.name : (d.selected.status as { runRef?: string } | undefined)?.runRef;
        return run ? push({ type: 'log', run, scroll: -1 }) : say(`finding ${d.selected.metadata.name} has no run`, true);
      }
      if (input === 'a' || input === 'x') return t.type === 'list' || t.type === 'describe' ? startConfirm(input === 'a' ? 'approve' : 'reject') : undefined;
      if (input === 's' && d.view === 'findings' && d.selected && (t.type === 'list' || t.type === 'describe')) {
        if (!d.canChange) return readOnly();
        return setMode({ type: 'snooze', finding: d.selected.metadata.name!, text: '7d' });
      }
    };

    if (m.type === 'normal') onNormal();
    else if (m.type === 'confirm') onConfirm(m);
    else onPrompt(m);
  };

  useInput((input, key) => {
    // Keys that arrive together (typed fast, pasted, or written at once by tmux) come as one string: one
    // at a time, with Enter, Tab and Backspace among them recognised.
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const ch of input) {
        const special = { return: ch === '\r' || ch === '\n', tab: ch === '\t', backspace: ch === '\u007f' || ch === '\b' };
        handleKey(special.return || special.tab || special.backspace ? '' : ch, { ...key, ...special, escape: false });
      }
    } else handleKey(input, key);
  });

  const width = size.columns;
  const headerLines = p.store.connection === 'lost' ? 3 : 2;
  // The prompt gets two lines: a confirmation naming run, preset, node and risk is long.
  const bodyHeight = Math.max(3, size.rows - 1 - headerLines - 4);
  const keys = keysOf(top, canChange);
  const flashText = flash ? `${flash.error ? 'error: ' : ''}${flash.text}` : undefined;
  // A prompt, else the last message, else a reminder of the filter in force.
  const status = promptLine(mode) ?? flashText ?? (top.type === 'list' && top.filter ? `filter: /${top.filter} (esc clears)` : '');
  return (
    <Box flexDirection="column" width={width} height={size.rows - 1}>
      <Header context={p.context} namespace={ns} user={p.me?.name ?? '?'} role={p.me ? (roleIn(p.me, ns) ?? 'none') : undefined} health={p.store.list('nodes').map((n) => nodeHealth(n, ctx))} connection={p.store.connection} lostReason={p.store.lostReason} width={width} colour={colour} />
      <Text bold inverse wrap="truncate">
        {fit(` ${title(top, rows.length, p.store.list(view).length)} `, width)}
      </Text>
      {body(top, { p, ns, rows, cursor, ctx, width, height: bodyHeight, colour, canChange, selected })}
      <Box height={2}>
        <Text wrap="wrap" {...(flash?.error && colour ? { color: 'red' } : {})}>
          {fit(status, 2 * width) || ' '}
        </Text>
      </Box>
      <Text dimColor wrap="truncate">
        {fit(hintLine(keys), width)}
      </Text>
    </Box>
  );
}
