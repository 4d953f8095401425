// The part of client-node's CustomObjectsApi the agent uses, with the same calls (object parameters, and
// options such as client-node's setHeaderOptions), sent through client-node's request layer (kube.ts).
// Its own CustomObjectsApi cannot be loaded alone: its module imports the serializer of every Kubernetes
// model (+25 MiB of RSS) to pass our custom objects through unchanged.
import type {
  ConfigurationOptions,
  CustomObjectsApi,
  CustomObjectsApiCreateNamespacedCustomObjectRequest as CreateRequest,
  CustomObjectsApiGetNamespacedCustomObjectRequest as GetRequest,
  CustomObjectsApiListNamespacedCustomObjectRequest as ListRequest,
  CustomObjectsApiPatchNamespacedCustomObjectRequest as PatchRequest,
  CustomObjectsApiPatchNamespacedCustomObjectStatusRequest as PatchStatusRequest,
  CustomObjectsApiReplaceNamespacedCustomObjectRequest as ReplaceRequest,
  CustomObjectsApiReplaceNamespacedCustomObjectStatusRequest as ReplaceStatusRequest,
} from '@kubernetes/client-node';
import { HttpMethod } from './kube.js';
import type { Kube, RequestOptions } from './kube.js';

type Used = 'getNamespacedCustomObject' | 'createNamespacedCustomObject' | 'listNamespacedCustomObject' | 'replaceNamespacedCustomObject' | 'replaceNamespacedCustomObjectStatus' | 'patchNamespacedCustomObject' | 'patchNamespacedCustomObjectStatus';
export type CustomObjectsClient = Pick<CustomObjectsApi, Used>;

type Target = Pick<GetRequest, 'group' | 'version' | 'namespace' | 'plural'> & { name?: string; body?: unknown };

/** client-node's default patch type, unless the options say otherwise (e.g. a merge patch). */
const JSON_PATCH = 'application/json-patch+json';

export class CustomObjects implements CustomObjectsClient {
  constructor(private readonly kube: Kube) {}

  private call(method: HttpMethod, t: Target, sub: '' | '/status', options?: ConfigurationOptions, contentType?: string): Promise<unknown> {
    const { group, version, namespace, plural, name, body, ...rest } = t as Target & Record<string, unknown>;
    const path = `/apis/${group}/${version}/namespaces/${namespace}/${plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}${sub}`;
    // client-node's query parameter names, but `continue`, which it spells `_continue`.
    const query = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k === '_continue' ? 'continue' : k, v as string | number | boolean | undefined]));
    return this.kube.json(method, path, { query, ...(body !== undefined ? { body } : {}), ...(contentType ? { contentType } : {}), ...(options ? { options: options as RequestOptions } : {}) });
  }

  getNamespacedCustomObject(p: GetRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.GET, p, '', o);
  }

  createNamespacedCustomObject(p: CreateRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.POST, p, '', o);
  }

  listNamespacedCustomObject(p: ListRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.GET, p, '', o);
  }

  replaceNamespacedCustomObject(p: ReplaceRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.PUT, p, '', o);
  }

  replaceNamespacedCustomObjectStatus(p: ReplaceStatusRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.PUT, p, '/status', o);
  }

  patchNamespacedCustomObject(p: PatchRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.PATCH, p, '', o, JSON_PATCH);
  }

  patchNamespacedCustomObjectStatus(p: PatchStatusRequest, o?: ConfigurationOptions): Promise<unknown> {
    return this.call(HttpMethod.PATCH, p, '/status', o, JSON_PATCH);
  }
}
