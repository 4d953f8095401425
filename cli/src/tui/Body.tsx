// What fills the screen under the header: a list, a description, a log or the help; and the title and
// prompt lines around it.
import type { Obj } from '../lib/client.js';
import { describeLines } from './describe.js';
import { confirmText } from './act.js';
import { complete } from './commands.js';
import { keysOf } from './keys.js';
import { LogView } from './LogView.js';
import { Pager } from './Pager.js';
import type { Mode, Screen } from './screens.js';
import { Table } from './Table.js';
import type { TuiProps } from './App.js';
import { VIEWS } from './views.js';
import type { RowContext } from './views.js';

/** Open findings' severities by node, for the health buckets. */
export function openSeveritiesOf(findings: Obj[]): (node: string) => string[] {
  const by = new Map<string, string[]>();
  for (const f of findings) {
    const phase = (f.status as { phase?: string } | undefined)?.phase ?? 'Open';
    if (phase === 'Resolved' || phase === 'Snoozed') continue;
    const { nodeName, severity } = (f.spec ?? {}) as { nodeName?: string; severity?: string };
    if (nodeName && severity) by.set(nodeName, [...(by.get(nodeName) ?? []), severity]);
  }
  return (node) => by.get(node) ?? [];
}

export function title(s: Screen, shown: number, all: number): string {
  if (s.type === 'list') return `${VIEWS[s.view].title} (${shown === all ? all : `${shown}/${all}`})${s.filter ? ` /${s.filter}` : ''}`;
  if (s.type === 'describe') return `Describe ${VIEWS[s.view].plural}/${s.name}`;
  if (s.type === 'log') return `Log run/${s.run}`;
  return `Help: ${title(s.of, shown, all)}`;
}

export function promptLine(m: Mode): string | undefined {
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
      return undefined;
  }
}

export interface BodyArgs {
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

export function body(s: Screen, a: BodyArgs) {
  switch (s.type) {
    case 'list':
      return <Table view={VIEWS[s.view]} rows={a.rows} cursor={a.cursor} width={a.width} height={a.height} ctx={a.ctx} colour={a.colour} />;
    case 'describe': {
      const lines = a.selected ? describeLines(a.p.store, a.p.resources, s.view, a.selected, a.ctx.now) : [`${VIEWS[s.view].plural}/${s.name} is gone`];
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
