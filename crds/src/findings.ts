// Finding identity and the catalog of finding types, shared by the controller (drift, postgres.no-backup,
// lifecycle) and the agent (scanner findings). A Finding is keyed (node, type, key): its object name is
// derived from that triple, so re-detection by anyone updates the same object.
import { createHash } from 'node:crypto';

/** The Finding object name for (node, type, key): the node's name and a hash of type and key. */
export function findingName(nodeName: string, type: string, key: string): string {
  const h = createHash('sha256').update(`${type}\u0000${key}`).digest('hex').slice(0, 12);
  return `${nodeName}-${h}`.slice(0, 253);
}

export type FindingSeverity = 'INFO' | 'WARN' | 'CRITICAL';

/** Finding types the agent's scanners report (source: scanner), with their default severity. */
export const SCANNER_FINDING_TYPES = {
  'tls.expiring': 'WARN',
  'tls.unreadable': 'INFO',
  'ssh.password-auth-enabled': 'CRITICAL',
  'ssh.root-login-enabled': 'WARN',
  'ssh.empty-passwords-permitted': 'CRITICAL',
  'disk.usage-high': 'WARN',
  'audit.kernel-updates-pending': 'WARN',
  'audit.root-password-set': 'WARN',
  'audit.sudo-nopasswd': 'WARN',
  'audit.world-writable-etc': 'WARN',
  'audit.ufw-inactive': 'WARN',
  'audit.fail2ban-down': 'WARN',
  'audit.no-automatic-updates': 'INFO',
  'audit.no-disk-encryption': 'INFO',
  'audit.no-auditd': 'INFO',
  'monitoring.absent': 'WARN',
  'backup.stale': 'WARN',
} as const satisfies Record<string, FindingSeverity>;

export type ScannerFindingType = keyof typeof SCANNER_FINDING_TYPES;

/** Computed on the controller from a node's container inventory and its profiles. */
export const POSTGRES_NO_BACKUP = 'postgres.no-backup';
