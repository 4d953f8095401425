// The Guard the API verbs consult: authorization with agents' constraints, escalation checks on tokens and
// role bindings, token minting, and keeping the auth index current with writes made through the API.
import type { ApiRequest } from '../api/http.js';
import type { RoleBinding, Token } from '@hyprbox/crds';
import { withDefaults } from '../api/admission.js';
import type { Obj } from '../api/admission.js';
import { ApiError, conflict, forbidden, invalid } from '../api/errors.js';
import type { Constraint, Guard, RequestAttributes } from '../api/handlers.js';
import type { Repository } from '../api/repository.js';
import type { Registry, Resource } from '../api/resource.js';
import { authorize, grantsOf, roleIn, satisfies } from './authz.js';
import type { Grants, Principal } from './authz.js';
import type { AuthIndex } from './index-cache.js';
import { hashToken, newToken } from './tokens.js';
import { paramsCauses } from './secrets.js';
import { signRun } from './signing.js';
import type { SigningKey } from './signing.js';
import { runSigningPayload } from '@hyprbox/crds';
import { isDeepStrictEqual } from 'node:util';
import type { SignableRun } from '@hyprbox/crds';

const FINAL_RUN = new Set(['Succeeded', 'Failed', 'Cancelled', 'RolledBack']);

export interface GuardDeps {
  /** Audits an agent's command execution once its run has finished. */
  recordExecution?(req: ApiRequest, run: Obj): void;
  index: AuthIndex;
  /** A preset by name (from the watch-fed cache), undefined if there is none. */
  preset(name: string): Obj | undefined;
  /** Signs Runs: only runs that went through this API (and its authorization) carry a valid signature. */
  signingKey: SigningKey;
  /** How long a signed Run may be started after its last change through the API. */
  runTtlSeconds: number;
  now(): Date;
  registry: Registry;
  repo(r: Resource): Repository;
  log: { warn(obj: object, msg: string): void };
}

/** Server-side hooks around a create: the token secret is minted here and shown once. */
export interface CreateHooks {
  afterAdmit(obj: Obj): void;
  decorate(stored: Obj): Obj;
}

export interface FullGuard extends Guard {
  grants(p: Principal): Grants | undefined;
}

const principalOf = (req: ApiRequest): Principal => {
  if (!req.user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  return req.user;
};

export function createGuard(deps: GuardDeps): FullGuard {
  const grants = (p: Principal): Grants | undefined => (p.kind === 'User' ? grantsOf(p.name, deps.index.bindings.values()) : undefined);
  const isClusterAdmin = (p: Principal): boolean => p.kind === 'User' && grants(p)?.cluster === 'admin';
  const deny = (req: ApiRequest, attrs: RequestAttributes, reason: string): never => {
    req.denyReason = reason;
    throw forbidden(principalOf(req).name, attrs.verb, attrs.resource.def.plural, attrs.resource.def.group, attrs.namespace);
  };

  return {
    grants,
    authorize(req, attrs): Constraint | undefined {
      const p = principalOf(req);
      const d = authorize(p, grants(p), {
        verb: attrs.verb,
        resource: attrs.resource.def.plural,
        namespaced: attrs.resource.def.namespaced,
        ...(attrs.namespace !== undefined ? { namespace: attrs.namespace } : {}),
        ...(attrs.name !== undefined ? { name: attrs.name } : {}),
        ...(attrs.subresource ? { subresource: attrs.subresource } : {}),
      });
      if (!d.allowed) return deny(req, attrs, d.reason);
      return d.constraint;
    },

    admit(req, attrs, current, next) {
      const p = principalOf(req);
      const plural = attrs.resource.def.plural;
      if (plural === 'rolebindings') {
        // Granting (or taking away) a role at a scope needs admin at that scope: nobody hands out more
        // than they hold, and a namespace admin cannot reach other namespaces or the whole cluster.
        for (const b of [current, next] as Array<RoleBinding | undefined>) {
          if (!b) continue;
          const scope = b.spec?.namespace;
          const g = grants(p);
          const ok = p.kind === 'User' && g !== undefined && (scope ? roleIn(g, scope) === 'admin' : g.cluster === 'admin');
          if (!ok) deny(req, attrs, `binding a role ${scope ? `in namespace ${scope}` : 'cluster-wide'} needs admin there`);
        }
      }
      if (plural === 'tokens') admitToken(req, attrs, p, current as Token | undefined, next as Token | undefined);
      if (plural === 'runs' && next) {
        // An approval is a person's own: every name added to approvedBy must be the caller's.
        const before = new Set(((current?.spec as { approvedBy?: string[] } | undefined)?.approvedBy) ?? []);
        const added = (((next.spec as { approvedBy?: string[] }).approvedBy) ?? []).filter((n) => !before.has(n));
        if (added.some((n) => n !== p.name)) deny(req, attrs, `approvals are recorded under the approver's own name (${p.name})`);
        // Against the stored run as it would be admitted today, so a default added since it was stored (or a
        // run written around the API) does not read as a change. /status cannot change the spec at all.
        if (current && attrs.subresource !== 'status') checkRunChange(withDefaults(attrs.resource, current), next);
        if (current) checkRunFinished(current, next);
      }
      if (next && (plural === 'nodeprofiles' || plural === 'runs')) {
        const causes = paramsCauses(next, (preset) => deps.preset(preset));
        if (causes.length) throw invalid({ plural, group: 'hyprbox.io', kind: next.kind as string }, next.metadata.name ?? '', causes);
      }
    },

    beforeCreate(r, body) {
      if (r.def.plural !== 'tokens' || typeof body !== 'object' || body === null) return undefined;
      const { name, token } = newToken();
      const b = body as { metadata?: Record<string, unknown> };
      b.metadata = { ...(b.metadata ?? {}), name };
      delete b.metadata.generateName;
      return {
        afterAdmit(obj) {
          obj.status = { sha256: hashToken(token) };
        },
        decorate: (stored) => ({ ...stored, status: { ...(stored.status as object), token } }),
      };
    },

    seal(r, next, current) {
      if (r.def.plural !== 'runs') return next;
      const spec = next.spec as { signature?: string; expiresAt?: string };
      // A new run, or a change of anything the signature covers (or of the spec at all, e.g. an approval,
      // which renews the expiry): the server signs. What a client wrote into signature/expiresAt is ignored.
      const specChanged = !current || JSON.stringify({ ...(current.spec as object), signature: undefined, expiresAt: undefined }) !== JSON.stringify({ ...spec, signature: undefined, expiresAt: undefined });
      const payloadChanged = !current || runSigningPayload(current as unknown as SignableRun) !== runSigningPayload(next as unknown as SignableRun);
      if (!specChanged && !payloadChanged) return next;
      // Waiting for approval: no signature (a client's approval changes the spec but must not license the
      // run); the approval reconciler signs it when enough people approved.
      if ((next.status as { phase?: string } | undefined)?.phase === 'AwaitingApproval') {
        const unsigned = structuredClone(next);
        delete (unsigned.spec as { signature?: string }).signature;
        delete (unsigned.spec as { expiresAt?: string }).expiresAt;
        return unsigned;
      }
      return signRun(next as unknown as SignableRun & Obj, deps.signingKey, { now: deps.now(), ttlSeconds: deps.runTtlSeconds }) as unknown as Obj;
    },

    written(r, obj, deleted, previous, req) {
      deps.index.apply(r.def.plural, obj, deleted);
      if (r.def.plural === 'runs' && previous && req?.user?.kind === 'Node') {
        const phase = (obj.status as { phase?: string } | undefined)?.phase;
        const before = (previous.status as { phase?: string } | undefined)?.phase;
        if (phase && FINAL_RUN.has(phase) && phase !== before) deps.recordExecution?.(req, obj);
      }
      if (r.def.plural === 'nodes' && deleted) void revokeTokensOf(obj, 'node');
      if (r.def.plural === 'users' && deleted) void revokeTokensOf(obj, 'user');
    },

    satisfies: (obj, c) => satisfies(obj, c),
  };

  function admitToken(req: ApiRequest, attrs: RequestAttributes, p: Principal, current: Token | undefined, next: Token | undefined): void {
    const admin = isClusterAdmin(p);
    for (const t of [current, next]) {
      if (!t || admin) continue;
      const ownUser = p.kind === 'User' && t.spec?.user === p.name && !t.spec?.node;
      const node = t.spec?.node;
      const g = grants(p);
      const nodeAdmin = node !== undefined && g !== undefined && roleIn(g, node.namespace) === 'admin';
      if (!ownUser && !nodeAdmin) deny(req, attrs, 'a token can be made only for yourself, or for a node by an admin of its namespace');
    }
    const ref = { plural: 'tokens', group: 'hyprbox.io', kind: 'Token' };
    if (next && !next.spec?.user === !next.spec?.node) {
      throw invalid(ref, next.metadata.name ?? '', [{ reason: 'FieldValueRequired', field: 'spec', message: 'exactly one of spec.user and spec.node must be set' }]);
    }
    if (current && next) {
      const causes = [];
      if (JSON.stringify(current.spec.user ?? null) !== JSON.stringify(next.spec.user ?? null) || JSON.stringify(current.spec.node ?? null) !== JSON.stringify(next.spec.node ?? null)) {
        causes.push({ reason: 'FieldValueForbidden', field: 'spec', message: 'who a token belongs to cannot change' });
      }
      if (current.status?.sha256 !== next.status?.sha256) causes.push({ reason: 'FieldValueForbidden', field: 'status.sha256', message: 'the token hash cannot change' });
      if (current.spec.revoked && !next.spec.revoked) causes.push({ reason: 'FieldValueForbidden', field: 'spec.revoked', message: 'a revoked token stays revoked' });
      // An expiry is a limit someone set: only a cluster admin moves it later or removes it (which would also
      // bring an expired token back).
      const was = current.spec.expiresAt ? Date.parse(current.spec.expiresAt) : Infinity;
      const now = next.spec.expiresAt ? Date.parse(next.spec.expiresAt) : Infinity;
      if (now > was && !admin) causes.push({ reason: 'FieldValueForbidden', field: 'spec.expiresAt', message: 'an expiry can only be brought forward (a cluster admin can extend it)' });
      if (causes.length) throw invalid(ref, current.metadata.name ?? '', causes);
    }
    void attrs;
  }

  /**
   * A deleted Node takes its agent tokens with it, and a deleted User its tokens: tokens name their owner,
   * so without this a User created again under the same name would find the old tokens working again.
   */
  async function revokeTokensOf(deleted: Obj, kind: 'node' | 'user'): Promise<void> {
    const tokens = deps.registry.byPlural('hyprbox.io', 'tokens')!;
    const owned = (t: Token): boolean => kind === 'user'
      ? t.spec.user === deleted.metadata.name
      : t.spec.node?.namespace === deleted.metadata.namespace && t.spec.node?.name === deleted.metadata.name;
    for (const t of [...deps.index.tokens.values()]) {
      if (t.spec.revoked || !owned(t)) continue;
      const fresh = await deps.repo(tokens).get(undefined, t.metadata.name!);
      if (!fresh || (fresh.spec as Token['spec']).revoked) continue;
      const next = structuredClone(fresh);
      (next.spec as Token['spec']).revoked = true;
      try {
        deps.index.apply('tokens', await deps.repo(tokens).update(next, Number(fresh.metadata.resourceVersion)), false);
      } catch (err) {
        deps.log.warn({ token: t.metadata.name, err: (err as Error).message }, `could not revoke the token of a deleted ${kind}`);
      }
    }
  }
}

/**
 * What a Run does is fixed when it is created: the server signs whatever the stored spec says, so letting an
 * update change the steps, the node or the risk would have the controller sign a script nobody rendered from
 * a reviewed preset (and a lower risk would skip the second approval). Only approving (adding one's own name)
 * and cancelling change a run; anything else is a new Run, which needs the right to create one.
 */
const RUN_FIXED = ['nodeName', 'preset', 'presetDigest', 'risk', 'params', 'steps', 'resources', 'findingRef', 'profileRef'] as const;

/**
 * A finished run's phase is its record: a second agent with the same identity (a cloned server) once marked a
 * running run Failed and the first then flipped it to Succeeded. 409, which ends an agent's retries.
 */
function checkRunFinished(current: Obj, next: Obj): void {
  const was = (current.status as { phase?: string } | undefined)?.phase;
  const now = (next.status as { phase?: string } | undefined)?.phase;
  if (was && FINAL_RUN.has(was) && now !== was) {
    throw conflict({ plural: 'runs', group: 'hyprbox.io', kind: 'Run' }, current.metadata.name ?? '', `the run already finished (${was}); its phase cannot change to ${now ?? 'none'}`);
  }
}

function checkRunChange(current: Obj, next: Obj): void {
  const was = (current.spec ?? {}) as Record<string, unknown>;
  const now = (next.spec ?? {}) as Record<string, unknown>;
  const causes = RUN_FIXED.filter((k) => !isDeepStrictEqual(was[k], now[k])).map((k) => ({
    field: `spec.${k}`,
    reason: 'FieldValueForbidden',
    message: 'Forbidden: field is immutable: a run does what it was rendered to do; create a new Run instead',
  }));
  const kept = new Set((now.approvedBy as string[] | undefined) ?? []);
  const withdrawn = ((was.approvedBy as string[] | undefined) ?? []).filter((n) => !kept.has(n));
  if (withdrawn.length) causes.push({ field: 'spec.approvedBy', reason: 'FieldValueForbidden', message: `Forbidden: approvals cannot be withdrawn (${withdrawn.join(', ')}); cancel the run instead` });
  if (causes.length) throw invalid({ plural: 'runs', group: 'hyprbox.io', kind: 'Run' }, current.metadata.name ?? '', causes);
}
