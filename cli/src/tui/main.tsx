// Starts the TUI on the terminal: the alternate screen (the shell's screen comes back on exit), the watches,
// and the App; resolves when the user quits (:q or Ctrl-C).
import { render } from 'ink';
import type { WhoAmI } from '../lib/actions.js';
import { whoami } from '../lib/actions.js';
import type { Client } from '../lib/client.js';
import type { Resources } from '../lib/resources.js';
import { App } from './App.js';
import { LiveStore } from './live.js';
import type { ViewId } from './views.js';

export async function runTui(o: { client: Client; resources: Resources; context: string; namespace: string; view?: ViewId }): Promise<void> {
  // Who we are decides which keys show; an older server without whoami leaves it to the server to refuse.
  const me: WhoAmI | undefined = await whoami(o.client).catch(() => undefined);
  const store = new LiveStore();
  store.start(o.client, o.resources, o.namespace);
  const alt = process.stdout.isTTY;
  if (alt) process.stdout.write('\x1b[?1049h\x1b[H');
  try {
    const app = render(<App client={o.client} resources={o.resources} store={store} context={o.context} namespace={o.namespace} {...(me ? { me } : {})} {...(o.view ? { view: o.view } : {})} />, { exitOnCtrlC: true });
    await app.waitUntilExit();
  } finally {
    store.stop();
    if (alt) process.stdout.write('\x1b[?1049l');
  }
}
