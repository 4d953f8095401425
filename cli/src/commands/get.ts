import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { TABLE_ACCEPT } from '../lib/client.js';
import type { Obj } from '../lib/client.js';
import { getObjects, getTable } from '../lib/get.js';
import { clean, parseFormat, renderObjects, renderTable } from '../lib/output.js';
import type { Table } from '../lib/output.js';
import { collectionPath, parseTarget } from '../lib/resources.js';
import { watch } from '../lib/watch.js';

export default class Get extends BaseCommand {
  static override summary = 'Show objects of a kind (table, wide, yaml, json or names), optionally watching them';
  static override examples = ['hyprbox get nodes', 'hyprbox get findings -A -l severity=CRITICAL', 'hyprbox get run/web-1-ssh-4f2a -o yaml', 'hyprbox get runs -w'];
  static override strict = false;
  static override args = { target: Args.string({ description: 'kind, kind name..., or kind/name...', required: true }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'table|wide|yaml|json|name', default: 'table' }),
    'all-namespaces': Flags.boolean({ char: 'A', description: 'list across all namespaces' }),
    selector: Flags.string({ char: 'l', description: 'label selector, e.g. env=prod,tier!=db' }),
    'field-selector': Flags.string({ description: 'field selector, e.g. spec.nodeName=web-1' }),
    watch: Flags.boolean({ char: 'w', description: 'after listing, print changes as they happen' }),
    'no-headers': Flags.boolean({ description: 'omit the table header' }),
  };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(Get);
    const format = parseFormat(this.jsonEnabled() ? 'json' : flags.output);
    const client = this.connect(flags);
    const res = await this.resources(client);
    const { resource, names } = parseTarget(res, argv as string[]);
    const namespace = resource.namespaced ? (flags['all-namespaces'] ? undefined : this.conn!.namespace) : undefined;
    const q = { resource, namespace, names, ...(flags.selector ? { labelSelector: flags.selector } : {}), ...(flags['field-selector'] ? { fieldSelector: flags['field-selector'] } : {}) };
    const tableMode = format === 'table' || format === 'wide';
    const withNamespace = resource.namespaced && namespace === undefined;
    let result: unknown;
    let rv: string | undefined;
    let cols: Table['columnDefinitions'] = [];
    if (tableMode) {
      const t = await getTable(client, q);
      rv = (t as Table & { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
      cols = t.columnDefinitions;
      if (!t.rows.length && !names.length && !flags.watch) this.note(`No ${resource.plural} found${namespace ? ` in namespace ${namespace}` : ''}.`);
      else if (t.rows.length) this.out(renderTable(t, { wide: format === 'wide', withNamespace, noHeaders: flags['no-headers'] }));
      result = t;
    } else {
      const { items, resourceVersion } = await getObjects(client, q);
      rv = resourceVersion;
      const single = names.length === 1;
      this.out(renderObjects(items, format as 'yaml' | 'json' | 'name', single, () => resource.plural));
      result = single ? clean(items[0]) : { apiVersion: 'v1', kind: 'List', items: items.map(clean) };
    }
    if (!flags.watch) return result;
    const query = { ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}), ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}), ...(names.length === 1 ? { fieldSelector: `metadata.name=${names[0]}` } : {}) };
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    for await (const ev of watch<Obj | Table>(client, collectionPath(resource, namespace), { query, ...(tableMode ? { accept: TABLE_ACCEPT } : {}), ...(rv ? { resourceVersion: rv } : {}), signal: stop.signal })) {
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ type: ev.type, object: clean(ev.object) })}\n`);
      else if (tableMode) {
        const t = ev.object as Table;
        if (t.columnDefinitions?.length) cols = t.columnDefinitions;
        this.out(renderTable({ columnDefinitions: cols, rows: t.rows }, { wide: format === 'wide', withNamespace, noHeaders: true }));
      } else this.out(format === 'name' ? `${resource.plural}/${(ev.object as Obj).metadata.name}` : renderObjects([ev.object as Obj], format as 'yaml' | 'json', true, () => resource.plural) + (format === 'yaml' ? '---' : ''));
    }
    return undefined;
  }
}
