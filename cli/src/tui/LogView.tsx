// `l`: a run's log followed live until the run finishes, with the run's phase from the watch.
import { useEffect, useState } from 'react';
import type { Client } from '../lib/client.js';
import { Pager } from './Pager.js';
import { runLog } from '../lib/runlog.js';

/** Keeps the newest text only: a log can be far longer than anyone scrolls back. */
const KEEP = 1 << 20;

export function useRunLog(client: Client, namespace: string, run: string): { text: string; ended: boolean; error?: string } {
  const [state, setState] = useState<{ text: string; ended: boolean; error?: string }>({ text: '', ended: false });
  useEffect(() => {
    const stop = new AbortController();
    setState({ text: '', ended: false });
    void (async () => {
      try {
        for await (const chunk of runLog(client, namespace, run, { follow: true, signal: stop.signal })) setState((s) => ({ ...s, text: (s.text + chunk).slice(-KEEP) }));
        if (!stop.signal.aborted) setState((s) => ({ ...s, ended: true }));
      } catch (err) {
        if (!stop.signal.aborted) setState((s) => ({ ...s, ended: true, error: (err as Error).message }));
      }
    })();
    return () => stop.abort();
  }, [client, namespace, run]);
  return state;
}

export function LogView(p: { client: Client; namespace: string; run: string; phase?: string; scroll: number; width: number; height: number }) {
  const log = useRunLog(p.client, p.namespace, p.run);
  const lines = log.text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const status = log.error ? `error: ${log.error}` : `${p.phase ?? ''} ${log.ended ? '(log ended)' : '(following…)'}`;
  return <Pager title={`Log run/${p.run}`} lines={lines} scroll={p.scroll} width={p.width} height={p.height} status={status} />;
}
