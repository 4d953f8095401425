// Scrolled text (describe, logs, help): `scroll` is the first line shown; a negative scroll means "the end".
import { Box, Text } from 'ink';
import { fit } from './style.js';

export function pageStart(total: number, height: number, scroll: number): number {
  const last = Math.max(0, total - height);
  return scroll < 0 ? last : Math.min(scroll, last);
}

export function Pager(p: { title: string; lines: string[]; scroll: number; width: number; height: number; status?: string }) {
  const body = Math.max(1, p.height - 1);
  const start = pageStart(p.lines.length, body, p.scroll);
  return (
    <Box flexDirection="column" height={p.height}>
      <Text bold wrap="truncate">
        {fit(`${p.title}${p.status ? `  ${p.status}` : ''}  [${Math.min(p.lines.length, start + body)}/${p.lines.length}]`, p.width)}
      </Text>
      {p.lines.slice(start, start + body).map((l, i) => (
        <Text key={start + i} wrap="truncate">
          {fit(l.replace(/\t/g, '  '), p.width) || ' '}
        </Text>
      ))}
    </Box>
  );
}
