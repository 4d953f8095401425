// Loaded first by main.ts: defers a dependency's module that is loaded but never used, so it costs no memory.
//
// node-fetch 2 (the transport of client-node's request layer and Watch) requires whatwg-url at load time, but
// only uses it where Node has no global URL (`Url.URL || whatwgUrl.URL`, Node < 10). whatwg-url builds tr46's
// Unicode mapping tables when loaded: ~4 MiB of the agent's RSS for nothing. Its entry in the CommonJS cache is
// replaced by a stand-in that loads the real module on the first use of any of its exports — so a caller that
// does use it still gets the real thing.
import { Module, createRequire } from 'node:module';

function deferCommonJs(from: string, specifier: string): void {
  const require = createRequire(from);
  const path = require.resolve(specifier);
  if (require.cache[path]) return;
  let real: object | undefined;
  const load = (): object => {
    if (!real) {
      delete require.cache[path];
      real = require(path) as object;
    }
    return real;
  };
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  standIn.exports = new Proxy(
    {},
    {
      get: (_t, key) => Reflect.get(load(), key) as unknown,
      // Asked by interop helpers when the module is required (`'default' in ex`): answer without loading.
      has: (_t, key) => (key === 'default' || key === '__esModule' ? false : Reflect.has(load(), key)),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d ? { ...d, configurable: true } : undefined;
      },
    },
  );
  require.cache[path] = standIn;
}

const clientNode = createRequire(import.meta.url).resolve('@kubernetes/client-node/dist/watch.js');
deferCommonJs(createRequire(clientNode).resolve('node-fetch'), 'whatwg-url');
