// `hyprbox tui`: the screen stack, the modes of the keyboard, and the layout (header, body, prompt and
// hints). Everything shown comes from the LiveStore's watches; keys that change things go through act.ts.
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import type { Key } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { WhoAmI } from '../lib/actions.js';
import { roleIn } from '../lib/actions.js';
import type { Client, Obj } from '../lib/client.js';
import { toYaml, clean } from '../lib/output.js';
import type { Resources } from '../lib/resources.js';
import { applyConfirmed, confirmText, nodeOf, riskOf, snooze, targetRun } from './act.js';
import { complete, parseCommand, tabComplete } from './commands.js';
import { matches, parseFilter } from './filter.js';
import { Header } from './Header.js';
import { hintLine, keysOf } from './keys.js';
import type { LiveStore } from './live.js';
import { LogView } from './LogView.js';
import { Pager } from './Pager.js';
import type { Flash, Mode, Screen } from './screens.js';
import { listScreen, viewOf } from './screens.js';
import { colourOn, fit } from './style.js';
import { Table, rowText } from './Table.js';
import { VIEWS, sortRows } from './views.js';
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

function useSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => void stdout.off('resize', on);
  }, [stdout]);
  return fixed ?? size;
}

/** Ages and durations move on once a second; the data itself only changes through the watches. */
function useClock(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function App(p: TuiProps) {
  const { exit } = useApp();
  const size = useSize(p.size);
  const now = useClock();
  useSyncExternalStore(p.store.subscribe, p.store.getVersion);
  const [ns, setNs] = useState(p.namespace);
  const [stack, setStack] = useState<Screen[]>([listScreen(p.view ?? 'nodes')]);
  const [mode, setMode] = useState<Mode>({ type: 'normal' });
  const [flash, setFlash] = useState<Flash | undefined>();
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const colour = p.colour ?? colourOn();
  const canChange = mayChange(p.me, ns);
  const top = stack[stack.length - 1]!;
  const view = viewOf(top);
  const def = VIEWS[view];
  const ctx: RowContext = { now, history: p.store.history, spark: size.columns >= 140 ? 20 : size.columns >= 100 ? 12 : 6 };
  const filter = top.type === 'list' ? parseFilter(mode.type === 'filter' ? mode.text : top.filter) : undefined;
  const rows = sortRows(view, p.store.list(view)).filter((o) => !filter || matches(filter, o, rowText(def, o, ctx)));
  const cursor = top.type === 'list' ? Math.min(top.cursor, Math.max(0, rows.length - 1)) : 0;
  const selected = top.type === 'list' ? rows[cursor] : top.type === 'describe' ? p.store.get(top.view, top.name) : undefined;

  const replaceTop = (s: Screen) => setStack((st) => [...st.slice(0, -1), s]);
  const push = (s: Screen) => setStack((st) => [...st, s]);
  const say = (text: string, error = false) => setFlash({ text, error });
  const fail = (err: unknown) => say((err as Error).message, true);

  const switchNamespace = (name: string) => {
    setNs(name);
    p.store.start(p.client, p.resources, name);
    setStack([listScreen(view)]);
    say(`namespace ${name}`);
  };

  const loadNamespaces = () =>
    p.client
      .json<{ items: Obj[] }>('GET', '/api/v1/namespaces')
      .then((l) => setNamespaces(l.items.map((n) => n.metadata.name ?? '')))
      .catch(fail);

  /** a / x: find the run, then ask (the confirmation names the risk). */
  const startConfirm = (action: 'approve' | 'reject') => {
    if (!canChange) return say(`read-only: ${p.me?.name ?? 'you'} may not change anything in ${ns} (viewer)`, true);
    if (!def.actions.includes(action === 'approve' ? 'a' : 'x')) return say(`nothing to ${action} in ${def.title.toLowerCase()}`, true);
    targetRun(p.client, ns, view, selected)
      .then((run) => setMode({ type: 'confirm', action, run, typed: '' }))
      .catch(fail);
  };

  const runConfirmed = (m: Extract<Mode, { type: 'confirm' }>) => {
    setMode({ type: 'normal' });
    applyConfirmed(p.client, ns, m.action, m.run, p.me).then((t) => say(t), fail);
  };

  const onPrompt = (m: Exclude<Mode, { type: 'normal' | 'confirm' }>, input: string, key: Key): void => {
    if (key.escape) return setMode({ type: 'normal' });
    if (key.backspace || key.delete) return setMode({ ...m, text: m.text.slice(0, -1) });
    if (key.tab && (m.type === 'command' || m.type === 'namespace')) {
      const typed = m.type === 'namespace' ? `ns ${m.text}` : m.text;
      const done = tabComplete(typed, namespaces);
      return setMode({ ...m, text: m.type === 'namespace' ? done.replace(/^ns /, '') : done });
    }
    if (!key.return) return input && !key.ctrl && !key.meta ? setMode({ ...m, text: m.text + input }) : undefined;
    setMode({ type: 'normal' });
    if (m.type === 'filter' && top.type === 'list') return replaceTop({ ...top, filter: m.text, cursor: 0 });
    if (m.type === 'namespace') return m.text ? switchNamespace(m.text) : undefined;
    if (m.type === 'snooze') return void snooze(p.client, ns, m.finding, m.text).then((t) => say(t), fail);
    if (m.type === 'command') {
      const c = parseCommand(m.text);
      if (c.kind === 'error') return say(c.message, true);
      if (c.kind === 'quit') return exit();
      if (c.kind === 'help') return push({ type: 'help', of: top });
      if (c.kind === 'namespace') return switchNamespace(c.name);
      return setStack((st) => [...st, listScreen(c.view)]);
    }
  };

  const onConfirm = (m: Extract<Mode, { type: 'confirm' }>, input: string, key: Key): void => {
    if (key.escape) return (setMode({ type: 'normal' }), say('cancelled'));
    if (riskOf(m.run) !== 'DANGEROUS') {
      if (input === 'y' || input === 'Y') return runConfirmed(m);
      return (setMode({ type: 'normal' }), say('cancelled'));
    }
    if (key.backspace || key.delete) return setMode({ ...m, typed: m.typed.slice(0, -1) });
    if (!key.return) return input ? setMode({ ...m, typed: m.typed + input }) : undefined;
    if (m.typed === nodeOf(m.run)) return runConfirmed(m);
    setMode({ type: 'normal' });
    say(`not confirmed: "${m.typed}" is not the node name ${nodeOf(m.run)}`, true);
  };

  const scrollBy = (d: number) => {
    if (top.type === 'list') replaceTop({ ...top, cursor: Math.max(0, Math.min(rows.length - 1, cursor + d)) });
    else if (top.type === 'describe' || top.type === 'log') replaceTop({ ...top, scroll: Math.max(0, (top.scroll < 0 ? 1e9 : top.scroll) + d) });
  };

  const onNormal = (input: string, key: Key): void => {
    setFlash(undefined);
    const page = Math.max(1, size.rows - 8);
    if (key.escape) {
      // A filter goes first, then the screen.
      if (top.type === 'list' && top.filter) return replaceTop({ ...top, filter: '', cursor: 0 });
      if (stack.length > 1) setStack((st) => st.slice(0, -1));
      return;
    }
    if (key.upArrow || input === 'k') return scrollBy(-1);
    if (key.downArrow || input === 'j') return scrollBy(1);
    if (key.pageUp) return scrollBy(-page);
    if (key.pageDown) return scrollBy(page);
    if (input === 'G' && top.type === 'log') return replaceTop({ ...top, scroll: -1 });
    if (input === ':') return setMode({ type: 'command', text: '' });
    if (input === '?') return top.type === 'help' ? undefined : push({ type: 'help', of: top });
    if (input === 'n') return (void loadNamespaces(), setMode({ type: 'namespace', text: '' }));
    if (input === '/' && top.type === 'list') return setMode({ type: 'filter', text: top.filter });
    if (key.return && top.type === 'list' && selected) return push({ type: 'describe', view, name: selected.metadata.name!, scroll: 0 });
    if (input === 'l' && (view === 'runs' || view === 'findings') && selected && top.type !== 'log') {
      const run = view === 'runs' ? selected.metadata.name : (selected.status as { runRef?: string } | undefined)?.runRef;
      return run ? push({ type: 'log', run, scroll: -1 }) : say(`finding ${selected.metadata.name} has no run`, true);
    }
    if (input === 'a' || input === 'x') return top.type === 'list' || top.type === 'describe' ? startConfirm(input === 'a' ? 'approve' : 'reject') : undefined;
    if (input === 's' && view === 'findings' && selected && top.type !== 'help') {
      if (!canChange) return say(`read-only: ${p.me?.name ?? 'you'} may not change anything in ${ns} (viewer)`, true);
      return setMode({ type: 'snooze', finding: selected.metadata.name!, text: '7d' });
    }
  };

  useInput((input, key) => {
    if (mode.type === 'normal') onNormal(input, key);
    else if (mode.type === 'confirm') onConfirm(mode, input, key);
    else onPrompt(mode, input, key);
  });

  const width = size.columns;
  const headerLines = p.store.connection === 'lost' ? 3 : 2;
  // The prompt gets two lines: a confirmation naming run, preset, node and risk is long.
  const bodyHeight = Math.max(3, size.rows - 1 - headerLines - 4);
  const keys = keysOf(top, canChange);
  const prompt = promptLine(mode, top);
  return (
    <Box flexDirection="column" width={width} height={size.rows - 1}>
      <Header context={p.context} namespace={ns} user={p.me?.name ?? '?'} role={p.me ? (roleIn(p.me, ns) ?? 'none') : undefined} nodes={p.store.list('nodes')} connection={p.store.connection} lostReason={p.store.lostReason} width={width} colour={colour} />
      <Text bold inverse wrap="truncate">
        {fit(` ${title(top, rows.length, p.store.list(view).length)} `, width)}
      </Text>
      {body(top, { p, ns, rows, cursor, ctx, width, height: bodyHeight, colour, canChange, selected })}
      <Box height={2}>
        <Text wrap="wrap" {...(flash?.error && colour ? { color: 'red' } : {})}>
          {fit(prompt ?? (flash ? `${flash.error ? 'error: ' : ''}${flash.text}` : ''), 2 * width) || ' '}
        </Text>
      </Box>
      <Text dimColor wrap="truncate">
        {fit(hintLine(keys), width)}
      </Text>
    </Box>
  );
}

function title(s: Screen, shown: number, all: number): string {
  if (s.type === 'list') return `${VIEWS[s.view].title} (${shown === all ? all : `${shown}/${all}`})${s.filter ? ` /${s.filter}` : ''}`;
  if (s.type === 'describe') return `Describe ${VIEWS[s.view].plural}/${s.name}`;
  if (s.type === 'log') return `Log run/${s.run}`;
  return `Help: ${title(s.of, shown, all)}`;
}

function promptLine(m: Mode, top: Screen): string | undefined {
  switch (m.type) {
    case 'command': {
      const more = complete(m.text);
      return `:${m.text}█${more.length > 1 ? `  ${more.join(' ')}` : ''}`;
    }
    case 'filter':
      return `/${m.text}█`;
    case 'namespace':
      return `namespace: ${m.text}█ (Tab completes)`;
    case 'snooze':
      return `snooze ${m.finding} for: ${m.text}█ (e.g. 12h, 7d, 2w)`;
    case 'confirm':
      return confirmText(m.action, m.run, m.typed);
    default:
      return top.type === 'list' && top.filter ? `filter: /${top.filter} (esc clears)` : undefined;
  }
}

interface BodyArgs {
  p: TuiProps;
  ns: string;
  rows: Obj[];
  cursor: number;
  ctx: RowContext;
  width: number;
  height: number;
  colour: boolean;
  canChange: boolean;
  selected: Obj | undefined;
}

function body(s: Screen, a: BodyArgs) {
  switch (s.type) {
    case 'list':
      return <Table view={VIEWS[s.view]} rows={a.rows} cursor={a.cursor} width={a.width} height={a.height} ctx={a.ctx} colour={a.colour} />;
    case 'describe': {
      const lines = a.selected ? toYaml(clean(a.selected)).trimEnd().split('\n') : [`${VIEWS[s.view].plural}/${s.name} is gone`];
      return <Pager title={`${VIEWS[s.view].plural}/${s.name}`} lines={lines} scroll={s.scroll} width={a.width} height={a.height} />;
    }
    case 'log':
      return <LogView client={a.p.client} namespace={a.ns} run={s.run} phase={(a.p.store.get('runs', s.run)?.status as { phase?: string } | undefined)?.phase ?? 'Pending'} scroll={s.scroll} width={a.width} height={a.height} />;
    case 'help': {
      const keys = keysOf(s.of, a.canChange);
      const lines = [...keys.map((k) => `${k.key.padEnd(14)} ${k.what}`), '', a.canChange ? '' : 'read-only: your role here is viewer, so approve, reject and snooze are hidden.'];
      return <Pager title="Keys" lines={lines} scroll={0} width={a.width} height={a.height} />;
    }
  }
}
