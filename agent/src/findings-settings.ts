// The scanner settings of this node: the agent's configuration (environment), overridden by what an operator
// set in the Node's spec.agentConfig (tlsPaths, tlsWarnDays, tlsCriticalDays, monitoring, disabledScanners).
import type { NodeSpecAgentConfig } from '@hyprbox/crds';
import type { AgentConfig } from './config.js';
import type { ScanSettings } from './findings-scan.js';

export interface NodeScanSettings extends ScanSettings {
  tlsPaths: string[];
}

export function scanSettings(c: Readonly<AgentConfig>, node?: NodeSpecAgentConfig): NodeScanSettings {
  const warn = node?.tlsWarnDays ?? c.tlsWarnDays;
  return {
    tlsPaths: node?.tlsPaths?.length ? node.tlsPaths : c.tlsPaths,
    tlsWarnDays: warn,
    // A node that lowers only the warning threshold keeps critical <= warn.
    tlsCriticalDays: Math.min(node?.tlsCriticalDays ?? c.tlsCriticalDays, warn),
    diskWarnPercent: c.diskWarnPercent,
    diskCriticalPercent: c.diskCriticalPercent,
    monitoring: node?.monitoring ?? c.monitoring,
    ...(c.backup ? { backup: { repository: c.backup.repository, maxAgeMs: c.backup.maxAgeMs } } : {}),
    disabled: new Set([...c.disabledScanners, ...(node?.disabledScanners ?? [])]),
  };
}
