// What the agent asks of the controller, each through client-node: its Node, its Lease, its Runs.
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import type { Node, NodeStatus, Run, RunStatus } from '@hyprbox/crds';
import type { AgentConfig } from './config.js';
import { GROUP, VERSION } from './kube.js';

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export class ControllerApi {
  readonly custom: k8s.CustomObjectsApi;
  constructor(
    readonly kc: k8s.KubeConfig,
    private readonly c: Pick<AgentConfig, 'nodeName' | 'namespace'>,
  ) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  private ns(plural: string) {
    return { group: GROUP, version: VERSION, namespace: this.c.namespace, plural };
  }

  /** Creates the Node if it does not exist; returns it. */
  async register(): Promise<Node> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...this.ns('nodes'), name: this.c.nodeName })) as Node;
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    try {
      return (await this.custom.createNamespacedCustomObject({
        ...this.ns('nodes'),
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Node', metadata: { name: this.c.nodeName, namespace: this.c.namespace }, spec: {} },
      })) as Node;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      return (await this.custom.getNamespacedCustomObject({ ...this.ns('nodes'), name: this.c.nodeName })) as Node;
    }
  }

  /** Renews the heartbeat lease (creating it on first use): a tiny write, never the whole Node. */
  async renewLease(acquireTime: string, now: Date): Promise<void> {
    const renewTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.custom.patchNamespacedCustomObject({ ...this.ns('leases'), name: this.c.nodeName, body: { spec: { renewTime } } }, merge);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await this.custom.createNamespacedCustomObject({
        ...this.ns('leases'),
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Lease', metadata: { name: this.c.nodeName }, spec: { holderIdentity: `hyprnode@${this.c.nodeName}`, acquireTime, renewTime } },
      });
    }
  }

  async writeNodeStatus(status: NodeStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus({ ...this.ns('nodes'), name: this.c.nodeName, body: { status } }, merge);
  }

  /** Follows this node's own Node object (the server shows an agent only its own); relists on errors. */
  watchOwnNode(onNode: (node: Node) => void, onError: (err: unknown) => void): { stop(): Promise<void> } {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${this.c.namespace}/nodes`;
    const inf = k8s.makeInformer<k8s.KubernetesObject>(this.kc, path, async () => {
      const list = (await this.custom.listNamespacedCustomObject({ ...this.ns('nodes') })) as { items: k8s.KubernetesObject[]; metadata: { resourceVersion: string } };
      return { apiVersion: `${GROUP}/${VERSION}`, kind: 'NodeList', metadata: list.metadata, items: list.items };
    });
    let stopped = false;
    const handle = (o: k8s.KubernetesObject): void => {
      if (o.metadata?.name === this.c.nodeName) onNode(o as unknown as Node);
    };
    inf.on('add', handle);
    inf.on('update', handle);
    inf.on('error', (err: unknown) => {
      onError(err);
      if (!stopped) setTimeout(() => void inf.start().catch(() => undefined), 5000).unref();
    });
    void inf.start().catch(onError);
    return {
      stop: async () => {
        stopped = true;
        await inf.stop();
      },
    };
  }

  async listRuns(): Promise<{ items: Run[]; resourceVersion: string }> {
    const list = (await this.custom.listNamespacedCustomObject({ ...this.ns('runs'), fieldSelector: `spec.nodeName=${this.c.nodeName}` })) as { items: Run[]; metadata: { resourceVersion: string } };
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  async getRun(name: string): Promise<Run> {
    return (await this.custom.getNamespacedCustomObject({ ...this.ns('runs'), name })) as Run;
  }

  /** Replaces a Run's status if it is still at `resourceVersion` (the exactly-once claim). */
  async replaceRunStatus(run: Run, status: RunStatus): Promise<Run> {
    return (await this.custom.replaceNamespacedCustomObjectStatus({ ...this.ns('runs'), name: run.metadata.name!, body: { ...run, status } })) as Run;
  }

  async patchRunStatus(name: string, status: Partial<RunStatus>): Promise<Run> {
    return (await this.custom.patchNamespacedCustomObjectStatus({ ...this.ns('runs'), name, body: { status } }, merge)) as Run;
  }

  /** Appends to a Run's log (the controller keeps a 4 MiB tail). */
  async appendLog(name: string, text: string): Promise<void> {
    const cluster = this.kc.getCurrentCluster()!;
    const url = `${cluster.server}/apis/${GROUP}/${VERSION}/namespaces/${this.c.namespace}/runs/${encodeURIComponent(name)}/log`;
    const res = await this.raw(url, 'POST', text, 'text/plain');
    if (res.status >= 300) throw Object.assign(new Error(`appending to the log of run ${name}: HTTP ${res.status}`), { code: res.status });
  }

  private async raw(url: string, method: string, body?: string, type?: string): Promise<{ status: number; text: string }> {
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    opts.method = method;
    opts.headers = { ...(opts.headers ?? {}), ...(type ? { 'Content-Type': type } : {}) };
    return send(url, opts, body);
  }

  async signingKey(): Promise<string> {
    const cluster = this.kc.getCurrentCluster()!;
    const res = await this.raw(`${cluster.server}/hyprbox/v1/signing-key`, 'GET');
    if (res.status !== 200) throw Object.assign(new Error(`fetching the run-signing key: HTTP ${res.status}`), { code: res.status });
    return res.text;
  }
}

/** A request with the same credentials and CA client-node uses, for the two routes that are not CRUD. */
function send(url: string, opts: RequestOptions, body?: string): Promise<{ status: number; text: string }> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
