// DeleteOptions, from the request body (kubectl and client-node put dryRun and preconditions there) or from the
// query. Strict on purpose: a misspelt `dryrun` that were ignored would delete for real, so an unknown field
// or a wrong type is a 400 naming the field, and nothing is deleted.
import type { ParsedUrlQuery } from 'node:querystring';
import { createJsonSchemaAjv } from '@hyprbox/crds';
import type { JsonSchemaError } from '@hyprbox/crds';
import { badRequest } from './errors.js';

export interface DeleteOptions {
  dryRun: boolean;
  preconditions: { uid?: string; resourceVersion?: string };
  /** Accepted and checked; this server deletes at once (0) and has no grace periods. */
  gracePeriodSeconds?: number;
  /** Accepted and checked; HyprBox kinds carry no owner references, so every policy deletes the same way. */
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { const: 'DeleteOptions' },
    apiVersion: { type: 'string' },
    dryRun: { type: 'array', items: { const: 'All' } },
    gracePeriodSeconds: { type: 'integer' },
    preconditions: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { uid: { type: ['string', 'null'] }, resourceVersion: { type: ['string', 'null'] } },
    },
    orphanDependents: { type: ['boolean', 'null'] },
    propagationPolicy: { enum: ['Orphan', 'Background', 'Foreground', null] },
    ignoreStoreReadErrorWithClusterBreakingPotential: { type: ['boolean', 'null'] },
  },
};
const validate = createJsonSchemaAjv().compile(SCHEMA);

interface Body {
  dryRun?: string[];
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string | null; resourceVersion?: string | null } | null;
  orphanDependents?: boolean | null;
  propagationPolicy?: DeleteOptions['propagationPolicy'] | null;
}

const fieldOf = (e: JsonSchemaError): string => {
  const path = e.instancePath.split('/').slice(1);
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
  return path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '<body>';
};

function checkBody(body: unknown): Body {
  if (validate(body)) return body as Body;
  const causes = (validate.errors ?? []).map((e) => {
    const field = fieldOf(e);
    const message =
      e.keyword === 'additionalProperties' ? 'unknown field'
      : e.keyword === 'const' ? `must be ${JSON.stringify(e.params.allowedValue)}`
      : e.keyword === 'enum' ? `must be one of ${(e.params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => JSON.stringify(v)).join(', ')}`
      : e.keyword === 'type' ? `must be ${String(e.params.type).split(',').filter((t) => t !== 'null').map((t) => (t === 'integer' ? 'an integer' : `a ${t}`)).join(' or ')}`
      : (e.message ?? 'invalid');
    return { reason: 'FieldValueInvalid', field, message };
  });
  throw badRequest(`invalid DeleteOptions: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, causes);
}

const one = (query: ParsedUrlQuery, name: string): string | undefined => {
  const v = query[name];
  if (Array.isArray(v)) throw badRequest(`${name} is given ${v.length} times`);
  return v;
};

/** What the query says (strings, as Kubernetes' parameter codec reads them), in the body's shape. */
function fromQuery(query: ParsedUrlQuery): Body {
  const out: Body = {};
  const dry = query.dryRun;
  if (dry !== undefined) out.dryRun = Array.isArray(dry) ? dry : [dry];
  const grace = one(query, 'gracePeriodSeconds');
  if (grace !== undefined) {
    if (!/^-?\d{1,18}$/.test(grace)) throw badRequest(`gracePeriodSeconds must be a whole number (got "${grace}")`);
    out.gracePeriodSeconds = Number(grace);
  }
  const orphan = one(query, 'orphanDependents');
  if (orphan !== undefined) {
    if (orphan !== 'true' && orphan !== 'false') throw badRequest(`orphanDependents must be true or false (got "${orphan}")`);
    out.orphanDependents = orphan === 'true';
  }
  const policy = one(query, 'propagationPolicy');
  if (policy !== undefined) out.propagationPolicy = policy as Body['propagationPolicy'];
  return out;
}

/**
 * The options of a DELETE. Kubernetes reads the body when there is one and the query otherwise; here both are
 * checked, and a dry run asked for in either one is a dry run (a delete must never happen by surprise).
 */
export function deleteOptions(body: unknown, query: ParsedUrlQuery): DeleteOptions {
  const q = checkBody(fromQuery(query));
  const b = body === undefined ? {} : checkBody(body);
  if (b.orphanDependents != null && b.propagationPolicy != null) {
    throw badRequest('orphanDependents and propagationPolicy cannot both be set', [{ reason: 'FieldValueInvalid', field: 'propagationPolicy', message: 'cannot be set with orphanDependents' }]);
  }
  const pick = <K extends keyof Body>(k: K): Body[K] => (body !== undefined && b[k] != null ? b[k] : q[k]);
  const grace = pick('gracePeriodSeconds');
  const policy = pick('propagationPolicy');
  const pre = b.preconditions ?? {};
  return {
    dryRun: (b.dryRun ?? []).length > 0 || (q.dryRun ?? []).length > 0,
    preconditions: { ...(pre.uid ? { uid: pre.uid } : {}), ...(pre.resourceVersion ? { resourceVersion: pre.resourceVersion } : {}) },
    ...(grace != null ? { gracePeriodSeconds: grace } : {}),
    ...(policy != null ? { propagationPolicy: policy } : {}),
  };
}
