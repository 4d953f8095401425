// GET and POST /apis/hyprbox.io/v1alpha1/namespaces/{ns}/runs/{name}/log: the agent appends what its steps
// print; people read it, or follow it (`?follow=true`) until the run finishes.
import express from 'express';
import type { Request, Response } from 'express';
import { isDns1123Label, isDns1123Subdomain } from '@hyprbox/crds';
import type { Obj } from './admission.js';
import { badRequest, notFound } from './errors.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import type { Resource } from './resource.js';
import type { RunLogs } from './runlog.js';

const FINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'RolledBack']);

export function runLogRouter(deps: HandlerDeps, logs: RunLogs, runs: Resource): express.Router {
  const router = express.Router({ mergeParams: true });

  const target = async (req: Request, verb: 'get' | 'create'): Promise<Obj> => {
    const ns = String(req.params.ns);
    const name = String(req.params.name);
    if (!isDns1123Label(ns) || !isDns1123Subdomain(name)) throw badRequest('invalid namespace or name in the URL');
    const attrs: RequestAttributes = { verb, resource: runs, namespace: ns, name, subresource: 'log' };
    req.attributes = attrs;
    const constraint = deps.guard.authorize(req, attrs);
    const run = await deps.repo(runs).mustGet(ns, name);
    if (constraint && !deps.guard.satisfies(run, { ...constraint, scannerOnly: false })) throw notFound({ plural: 'runs', group: 'hyprbox.io', kind: 'Run' }, name);
    return run;
  };

  router.post('/', async (req: Request, res: Response) => {
    const run = await target(req, 'create');
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    if (text.length === 0) throw badRequest('the log chunk is empty');
    const bytes = await logs.append(run.metadata.namespace!, run.metadata.name!, text);
    res.status(201).json({ bytes });
  });

  router.get('/', async (req: Request, res: Response) => {
    const run = await target(req, 'get');
    const ns = run.metadata.namespace!;
    const name = run.metadata.name!;
    const fromByte = req.query.fromByte === undefined ? 0 : Number(req.query.fromByte);
    if (!Number.isSafeInteger(fromByte) || fromByte < 0) throw badRequest('fromByte must be a non-negative integer');
    const revision = await deps.repo(runs).store.currentRevision();
    const first = await logs.read(ns, name, fromByte);
    res.setHeader('X-Log-Bytes', String(first.bytes));
    res.setHeader('X-Log-From-Byte', String(first.fromByte));
    if (req.query.follow !== 'true' && req.query.follow !== '1') {
      res.type('text/plain').send(first.text);
      return;
    }
    res.status(200).type('text/plain');
    res.flushHeaders();
    res.write(first.text);
    let sent = first.bytes;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      cancel();
      clearInterval(poll);
      res.end();
    };
    const cancel = logs.follow(ns, name, revision + 1, (c) => {
      const endByte = c.offset + Buffer.byteLength(c.data);
      if (endByte <= sent) return;
      const buf = Buffer.from(c.data);
      res.write(buf.subarray(Math.max(0, sent - c.offset)));
      sent = endByte;
    }, end);
    // Following ends when the run is over (and what it printed has arrived) or the client leaves.
    const poll = setInterval(() => {
      // Any failure (the store away) ends the follow; the client reconnects from the byte it has.
      deps.repo(runs).get(ns, name).then(async (r) => {
        const phase = (r?.status as { phase?: string } | undefined)?.phase;
        if (!r || (phase && FINAL.has(phase))) {
          const rest = await logs.read(ns, name, sent);
          if (rest.text) res.write(rest.text);
          end();
        }
      }).catch(end);
    }, 1000);
    req.on('close', end);
  });
  return router;
}
