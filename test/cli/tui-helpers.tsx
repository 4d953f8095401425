// Drives the TUI's App in ink-testing-library against a real controller: a real client, the real
// watches, keys written to stdin and the last frame read back.
import { render } from 'ink-testing-library';
import { whoami } from '@hyprbox/cli/lib/actions';
import type { WhoAmI } from '@hyprbox/cli/lib/actions';
import { Client } from '@hyprbox/cli/lib/client';
import { resolveConnection } from '@hyprbox/cli/lib/kubeconfig';
import { Resources } from '@hyprbox/cli/lib/resources';
import { App } from '@hyprbox/cli/tui/App';
import { LiveStore } from '@hyprbox/cli/tui/live';
import type { ViewId } from '@hyprbox/cli/tui/views';
import { until } from '../lib/wait.js';

export const KEY = { esc: '\u001b', enter: '\r', tab: '\t', backspace: '\u007f', down: '\u001b[B', up: '\u001b[A' } as const;

export interface Driven {
  client: Client;
  store: LiveStore;
  me: WhoAmI;
  frame(): string;
  /** Writes keys one at a time, letting Ink handle each. */
  press(...keys: string[]): Promise<void>;
  /** Waits until the frame shows `text` (or matches it); fails with the frame. */
  see(text: string | RegExp, ms?: number): Promise<string>;
  stop(): void;
}

export async function driveTui(kubeconfig: string, o: { view?: ViewId; columns?: number; rows?: number; token?: string; namespace?: string; colour?: boolean } = {}): Promise<Driven> {
  const client = new Client(resolveConnection(kubeconfig, { ...(o.token ? { token: o.token } : {}), ...(o.namespace ? { namespace: o.namespace } : {}) }));
  const resources = await Resources.discover(client);
  const me = await whoami(client);
  const store = new LiveStore();
  const ns = o.namespace ?? 'default';
  store.start(client, resources, ns);
  const app = render(<App client={client} resources={resources} store={store} context="test" namespace={ns} me={me} view={o.view ?? 'nodes'} size={{ columns: o.columns ?? 80, rows: o.rows ?? 24 }} colour={o.colour ?? false} />);
  const frame = (): string => app.lastFrame() ?? '';
  await until('the watches to be live', () => store.connection === 'live', 20_000);
  return {
    client,
    store,
    me,
    frame,
    async press(...keys) {
      for (const k of keys) {
        app.stdin.write(k);
        await new Promise((r) => setTimeout(r, 30));
      }
    },
    async see(text, ms = 10_000) {
      const hit = (): boolean => (typeof text === 'string' ? frame().includes(text) : text.test(frame()));
      await until(`the screen to show ${String(text)}`, hit, ms).catch((err: Error) => {
        throw new Error(`${err.message}; screen:\n${frame()}`);
      });
      return frame();
    },
    stop() {
      app.unmount();
      store.stop();
      client.close();
    },
  };
}

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;
export const stripAnsi = (s: string): string => s.replace(SGR, '');
export const hasAnsi = (s: string): boolean => stripAnsi(s) !== s;

/** The widest line of a frame, in columns (the TUI never wraps a row). */
export const widest = (frame: string): number => Math.max(...frame.split('\n').map((l) => [...stripAnsi(l)].length));
