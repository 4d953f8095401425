// A view's rows as an aligned table that fits the width: columns marked for wide terminals appear when
// there is room, and the widest columns give way first when there is not. The cursor row is marked `>`
// (and inverse), so the selection shows without colour too.
import { Box, Text } from 'ink';
import type { Obj } from '../lib/client.js';
import { colourOf, fit } from './style.js';
import type { Cell, Column, RowContext, ViewDef } from './views.js';

const GAP = 2;
const MARK = 2;

export function visibleColumns(view: ViewDef, width: number): Column[] {
  return view.columns.filter((c) => c.from === undefined || width >= c.from);
}

/** Column widths: natural widths, squeezed (widest first, never under `min`) until the row fits. */
export function columnWidths(cols: Column[], rows: Cell[][], width: number): number[] {
  const w = cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => r[i]!.text.length)));
  const total = (): number => w.reduce((a, b) => a + b, 0) + GAP * (w.length - 1) + MARK;
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < w.length; i++) if (w[i]! > cols[i]!.min && (widest < 0 || w[i]! > w[widest]!)) widest = i;
    if (widest < 0) break;
    w[widest] = Math.max(cols[widest]!.min, w[widest]! - (total() - width));
  }
  return w;
}

export function Table(p: { view: ViewDef; rows: Obj[]; cursor: number; width: number; height: number; ctx: RowContext; colour: boolean }) {
  const cols = visibleColumns(p.view, p.width);
  const cells = p.rows.map((o) => cols.map((c) => c.cell(o, p.ctx)));
  const widths = columnWidths(cols, cells, p.width);
  const bodyHeight = Math.max(1, p.height - 1);
  const offset = Math.max(0, Math.min(p.cursor - bodyHeight + 1, p.rows.length - bodyHeight));
  const line = (row: Cell[]) => row.map((c, i) => (i === row.length - 1 ? fit(c.text, widths[i]!) : fit(c.text, widths[i]!).padEnd(widths[i]! + GAP)));
  return (
    <Box flexDirection="column" height={p.height}>
      <Text bold wrap="truncate">{fit(`  ${line(cols.map((c) => ({ text: c.header }))).join('')}`, p.width)}</Text>
      {cells.slice(offset, offset + bodyHeight).map((row, i) => {
        const selected = offset + i === p.cursor;
        return (
          <Text key={p.rows[offset + i]!.metadata.name ?? i} inverse={selected} wrap="truncate">
            {selected ? '> ' : '  '}
            {line(row).map((t, j) => (
              <Text key={j} {...(p.colour && colourOf(row[j]!.tone) ? { color: colourOf(row[j]!.tone) } : {})}>
                {t}
              </Text>
            ))}
          </Text>
        );
      })}
      {p.rows.length === 0 ? <Text dimColor>  (none)</Text> : null}
    </Box>
  );
}

/** The cells of a row as text (what the filter searches). */
export const rowText = (view: ViewDef, o: Obj, ctx: RowContext): string[] => view.columns.map((c) => c.cell(o, ctx).text);
