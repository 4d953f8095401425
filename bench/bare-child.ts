// Child process of bench/api.ts: the baseline for GET throughput, a bare express 5 application (default
// settings, no middleware) answering one route with a small JSON object. Reports { url } over IPC.
import type { AddressInfo } from 'node:net';
import express from 'express';

const OBJECT = {
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name: 'bench-get', namespace: 'default', resourceVersion: '1' },
  spec: {},
};

const app = express();
app.get('/apis/hyprbox.io/v1alpha1/namespaces/default/nodes/:name', (_req, res) => {
  res.json(OBJECT);
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send!({ url: `http://127.0.0.1:${port}`, pid: process.pid });
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
