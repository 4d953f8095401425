// Approval: a Run waiting in AwaitingApproval becomes Pending (and so runnable) once enough distinct people
// approved it: one, or the profile's dangerousApprovals for a DANGEROUS run. The API stamps approvals with
// the approver's own name, so nobody approves for someone else. The run is signed when it is approved.
import type { Logger } from 'pino';
import type { Obj } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import type { Informer } from '../reconcile/informer.js';
import type { Result } from '../reconcile/controller.js';
import { approvalsNeeded } from './runs.js';
import type { Remediation, Risk } from './runs.js';

export class ApprovalReconciler {
  readonly name = 'approval';
  constructor(private readonly d: { runs: Informer; profiles: Informer; repo: Repository; sign(run: Obj): Obj; log: Logger }) {}

  async reconcile(key: string): Promise<Result | void> {
    const run = this.d.runs.get(key);
    if (!run || (run.status as { phase?: string } | undefined)?.phase !== 'AwaitingApproval') return;
    const spec = run.spec as { risk?: Risk; approvedBy?: string[]; profileRef?: string; cancel?: boolean };
    if (spec.cancel) {
      await this.d.repo.update({ ...run, status: { ...(run.status as object), phase: 'Cancelled', message: 'cancelled before it was approved' } }, Number(run.metadata.resourceVersion));
      return;
    }
    const ns = run.metadata.namespace!;
    const profile = spec.profileRef ? this.d.profiles.get(`${ns}/${spec.profileRef}`) : undefined;
    const remediation = ((profile?.spec as { remediation?: Remediation } | undefined)?.remediation ?? {});
    const needed = approvalsNeeded(spec.risk, remediation);
    const have = new Set(spec.approvedBy ?? []).size;
    if (have < needed) return;
    // Signed only now: until approved the run had no signature, so editing its phase in the store runs nothing.
    const approved = this.d.sign({ ...run, status: { ...(run.status as object), phase: 'Pending', message: `approved by ${[...new Set(spec.approvedBy)].join(', ')}` } });
    await this.d.repo.update(approved, Number(run.metadata.resourceVersion));
    this.d.log.info({ run: key, approvedBy: spec.approvedBy }, 'run approved');
  }
}
