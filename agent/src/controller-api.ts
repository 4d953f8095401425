// What the agent asks of the controller, each through client-node's request layer (kube.ts): its Node, its
// Lease, its Runs, the Run log and the run-signing key.
import { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
import { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
import type { Node, NodeStatus, Run, RunStatus } from '@hyprbox/crds';
import type { AgentConfig } from './config.js';
import { CustomObjects } from './custom-objects.js';
import { GROUP, HttpMethod, VERSION } from './kube.js';
import type { Kube } from './kube.js';
import { ListWatch } from './list-watch.js';
import type { ListWatchHandlers } from './list-watch.js';

export const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ControllerApi {
  readonly custom: CustomObjects;
  constructor(
    readonly kube: Kube,
    private readonly c: Pick<AgentConfig, 'nodeName' | 'namespace'>,
  ) {
    this.custom = new CustomObjects(kube);
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
    const lw = new ListWatch<Node>(this.kube, `/apis/${GROUP}/${VERSION}/namespaces/${this.c.namespace}/nodes`, async () => {
      const list = (await this.custom.listNamespacedCustomObject({ ...this.ns('nodes') })) as { items: Node[]; metadata: { resourceVersion: string } };
      return { items: list.items, resourceVersion: list.metadata.resourceVersion };
    }, {
      onChange: (n) => {
        if (n.metadata?.name === this.c.nodeName) onNode(n);
      },
      onError,
    });
    void lw.start();
    return lw;
  }

  /** This node's Runs, listed and watched. */
  watchRuns(h: ListWatchHandlers<Run>): ListWatch<Run> {
    return new ListWatch<Run>(this.kube, `/apis/${GROUP}/${VERSION}/namespaces/${this.c.namespace}/runs`, () => this.listRuns(), h);
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
    await this.kube.request(HttpMethod.POST, `/apis/${GROUP}/${VERSION}/namespaces/${this.c.namespace}/runs/${encodeURIComponent(name)}/log`, { body: text, contentType: 'text/plain' });
  }

  /** The controller's run-signing public key (PEM). */
  async signingKey(): Promise<string> {
    return (await this.kube.request(HttpMethod.GET, '/hyprbox/v1/signing-key')).body.text();
  }
}
