// An agent's command execution, audited when its Run reaches a final phase: which preset, the digest of
// exactly the scripts that ran, and each step's exit code.
import type { ApiRequest } from '../api/http.js';
import { scriptDigest } from '@hyprbox/crds';
import type { Obj } from '../api/admission.js';
import type { AuditEntry } from './auditor.js';

export function executionEntry(req: ApiRequest, run: Obj): AuditEntry {
  const spec = run.spec as { preset?: string; steps?: Array<{ name: string; script: string; timeoutSeconds?: number }> };
  const status = run.status as { phase?: string; steps?: Array<{ name: string; exitCode?: number }> } | undefined;
  const p = req.user;
  return {
    ...(p ? { user: p.kind === 'Node' ? { name: p.name, kind: 'Node', node: `${p.node.namespace}/${p.node.name}` } : { name: p.name, kind: 'User' } } : {}),
    verb: 'execute',
    resource: 'runs',
    namespace: run.metadata.namespace!,
    name: run.metadata.name!,
    code: status?.phase === 'Succeeded' ? 0 : 1,
    requestId: req.id ?? '',
    sourceAddress: req.socket.remoteAddress ?? '',
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    reason: status?.phase ?? '',
    execution: {
      preset: spec.preset ?? '',
      scriptDigest: `sha256:${scriptDigest(spec.steps ?? [])}`,
      exitCodes: (status?.steps ?? []).filter((s) => s.exitCode !== undefined).map((s) => ({ step: s.name, code: s.exitCode! })),
    },
  };
}
