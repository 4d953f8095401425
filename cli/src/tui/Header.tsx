// The top of the screen: context, namespace, who you are, nodes per health bucket (`health`: one per node), connection state; and
// the banner when the connection is lost.
import { Box, Text } from 'ink';
import type { Connection } from './live.js';
import { colourOf, fit } from './style.js';

const BUCKETS = ['healthy', 'warning', 'critical'] as const;

export function healthCounts(health: string[]): Record<(typeof BUCKETS)[number] | 'unknown', number> {
  const counts = { healthy: 0, warning: 0, critical: 0, unknown: 0 };
  for (const h of health) counts[BUCKETS.includes(h as 'healthy') ? (h as 'healthy') : 'unknown']++;
  return counts;
}

const CONN_TEXT: Record<Connection, string> = { connecting: '◌ connecting', live: '● live', lost: '✖ reconnecting' };
const CONN_TONE: Record<Connection, string> = { connecting: 'Pending', live: 'healthy', lost: 'critical' };

export function Header(p: { context: string; namespace: string; user: string; role?: string; health: string[]; connection: Connection; lostReason?: string; width: number; colour: boolean }) {
  const counts = healthCounts(p.health);
  const c = (tone: string) => (p.colour ? colourOf(tone) : undefined);
  const who = `${p.user}${p.role ? ` (${p.role})` : ''}`;
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between" width={p.width}>
        <Text wrap="truncate">
          <Text bold>HyprBox</Text> ctx:{p.context || '-'} ns:<Text bold>{p.namespace}</Text> user:{who}
        </Text>
        <Text color={c(CONN_TONE[p.connection])}>{CONN_TEXT[p.connection]}</Text>
      </Box>
      <Text wrap="truncate">
        nodes {p.health.length}: {BUCKETS.map((b) => (
          <Text key={b} color={c(b)}>
            {counts[b]} {b}{'  '}
          </Text>
        ))}
        {counts.unknown ? `${counts.unknown} unknown` : ''}
      </Text>
      {p.connection === 'lost' ? (
        <Text inverse color={c('critical')} wrap="truncate">
          {fit(` connection lost: ${p.lostReason ?? 'watch dropped'}; reconnecting… `, p.width)}
        </Text>
      ) : null}
    </Box>
  );
}
