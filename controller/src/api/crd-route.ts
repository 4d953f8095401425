// The CustomResourceDefinitions, read-only: list, get and watch, as `kubectl get crd`, `kubectl get crd -w` and
// `kubectl wait --for condition=established crd/<name>` (a usual GitOps step) use them. They come from the
// files in crds/definitions and never change while the controller runs, so a watch sends each one as ADDED
// (unless the client already listed) and then stays open until its timeout, the client, or shutdown ends it.
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { loadResources } from '@hyprbox/crds';
import { ApiError, badRequest } from './errors.js';
import { querySelector } from './query-selector.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

/** The resourceVersion of every CRD and list: they are all as old as the controller's files. */
const RV = '1';
/** Kubernetes closes watches after its minimum request timeout (30 min); a client that wants more re-watches. */
const MAX_WATCH_SECONDS = 1800;

/** A stable uid per name, so that clients comparing uids across restarts see the same object. */
function uidOf(name: string): string {
  const h = createHash('sha256').update(`hyprbox-crd:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The CRDs as served: metadata a server sets, and the status of an established definition. */
export function servedCrds(created: string): Obj[] {
  return loadResources().map((d) => {
    const crd = structuredClone(d.crd) as Obj & { spec: { names: Record<string, unknown>; versions: Array<{ name: string; storage?: boolean }> } };
    const name = crd.metadata.name as string;
    const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: created, reason, message });
    return {
      ...crd,
      metadata: { ...crd.metadata, uid: uidOf(name), resourceVersion: RV, generation: 1, creationTimestamp: created },
      status: {
        conditions: [
          condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
          condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
        ],
        acceptedNames: crd.spec.names,
        storedVersions: crd.spec.versions.filter((v) => v.storage).map((v) => v.name),
      },
    };
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function selected(req: Request, crds: Obj[]): Obj[] {
  return crds.filter(querySelector(req.query, ['metadata.name']));
}

export function listCrds(req: Request, res: Response, crds: Obj[], shutdown: AbortSignal): void {
  const items = selected(req, crds);
  const watch = str(req.query.watch);
  if (watch !== 'true' && watch !== '1') {
    res.json({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinitionList', metadata: { resourceVersion: RV }, items });
    return;
  }
  const rv = str(req.query.resourceVersion);
  const asked = str(req.query.timeoutSeconds);
  const seconds = asked === undefined ? MAX_WATCH_SECONDS : Number(asked);
  if (!Number.isInteger(seconds) || seconds < 0) throw badRequest(`timeoutSeconds must be a whole number of seconds (got "${asked}")`);
  res.status(200).setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  // Without a resourceVersion (or "0") the client has not listed: it gets the current state first.
  if (rv === undefined || rv === '' || rv === '0') for (const object of items) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
  const end = (): void => {
    clearTimeout(timer);
    shutdown.removeEventListener('abort', end);
    res.end();
  };
  const timer = setTimeout(end, Math.min(seconds || MAX_WATCH_SECONDS, MAX_WATCH_SECONDS) * 1000);
  shutdown.addEventListener('abort', end);
  res.on('close', () => {
    clearTimeout(timer);
    shutdown.removeEventListener('abort', end);
  });
}

export function getCrd(req: Request, res: Response, crds: Obj[]): void {
  const crd = crds.find((c) => c.metadata.name === req.params.name);
  if (!crd) throw new ApiError(404, 'NotFound', `customresourcedefinitions.apiextensions.k8s.io "${String(req.params.name)}" not found`);
  res.json(crd);
}
