// Kubernetes-style Events: one object per (object, reason, message), its count and lastTimestamp bumped when
// it happens again. Callers record only changes of state (a run created, a rollout paused, a node lost),
// never "still the same".
import { createHash } from 'node:crypto';
import type { Obj } from '../api/admission.js';
import { admitCreate, isoSeconds } from '../api/admission.js';
import type { Repository } from '../api/repository.js';

export interface EventInput {
  involved: Obj;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export async function recordEvent(repo: Repository, e: EventInput, now: Date): Promise<void> {
  const ns = e.involved.metadata.namespace ?? 'default';
  const hash = createHash('sha256').update(`${e.involved.kind}\u0000${e.involved.metadata.name}\u0000${e.reason}\u0000${e.message}`).digest('hex').slice(0, 10);
  const name = `${e.involved.metadata.name}.${hash}`.slice(0, 253);
  const time = isoSeconds(now);
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await repo.get(ns, name);
    try {
      if (current) {
        await repo.update({ ...current, count: ((current.count as number | undefined) ?? 1) + 1, lastTimestamp: time }, Number(current.metadata.resourceVersion));
      } else {
        const { obj } = admitCreate(repo.resource, {
          apiVersion: 'hyprbox.io/v1alpha1', kind: 'Event', metadata: { name, namespace: ns },
          involvedObject: { apiVersion: e.involved.apiVersion, kind: e.involved.kind, name: e.involved.metadata.name, namespace: ns, uid: e.involved.metadata.uid },
          reason: e.reason, message: e.message.slice(0, 1024), type: e.type, count: 1, firstTimestamp: time, lastTimestamp: time,
          source: { component: 'hyprbox-controller' },
        }, { namespace: ns, fieldValidation: 'Ignore', now });
        await repo.create(obj);
      }
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}
