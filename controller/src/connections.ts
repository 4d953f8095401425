// What one client can hold of the server before any request is authenticated: connections (each a file
// descriptor), time to send its headers and body, and bytes of bodies being read. Without these bounds one
// unauthenticated host could use up the process's file descriptors or memory and lock every agent out.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

export interface ConnectionLimits {
  /** Open connections in all; past them new ones are closed at once (Node's maxConnections). */
  maxConnections: number;
  /** Open connections from one source address. */
  maxConnectionsPerSource: number;
}

/** Time to send the headers, and the whole request, before 408; and to finish a TLS handshake. */
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 60_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * How long an idle keep-alive connection stays open (kube-apiserver: 90 s). Node's 5 s made every agent
 * open a new TLS connection for each 10 s heartbeat; clients learn it from the Keep-Alive header.
 */
const KEEP_ALIVE_TIMEOUT_MS = 90_000;

/** The HTTP or HTTPS server with the timeouts above and the connection caps applied. */
export function createLimitedServer(tls: { cert: string; key: string } | undefined, limits: ConnectionLimits, log: Logger): Server {
  const options: ServerOptions = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 5_000 };
  const server: Server = tls ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }) : createHttpServer(options);
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const warn = rateLimitedWarning(log);
  server.on('drop', () => warn('connection refused: --max-connections reached', { maxConnections: limits.maxConnections }));
  const bySource = new Map<string, number>();
  // 'connection' comes with the raw TCP socket, before any TLS handshake.
  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? '';
    const n = (bySource.get(source) ?? 0) + 1;
    if (n > limits.maxConnectionsPerSource) {
      warn('connection refused: --max-connections-per-source reached', { source, maxConnectionsPerSource: limits.maxConnectionsPerSource });
      socket.destroy();
      return;
    }
    bySource.set(source, n);
    socket.once('close', () => {
      const left = (bySource.get(source) ?? 1) - 1;
      if (left > 0) bySource.set(source, left);
      else bySource.delete(source);
    });
  });
  return server;
}

/** One warning a minute at most for a kind of refusal: a flood must not flood the log too. */
function rateLimitedWarning(log: Logger): (msg: string, fields: object) => void {
  const last = new Map<string, number>();
  return (msg, fields) => {
    const now = Date.now();
    if (now - (last.get(msg) ?? 0) < 60_000) return;
    last.set(msg, now);
    log.warn(fields, msg);
  };
}

/**
 * A budget of bytes of request bodies being read at once, in all and per source address: a body is reserved
 * at its Content-Length (or the body limit when chunked) before it is read, and released when the request
 * ends. Past it the request is refused (429) without reading the body.
 */
export class BodyBudget {
  private total = 0;
  private readonly bySource = new Map<string, number>();

  constructor(
    readonly maxBytes: number,
    readonly maxBytesPerSource: number,
    private readonly bodyLimit: number,
  ) {}

  /** Reserves the request's body; false when that would pass the budget. Released once the answer is done. */
  reserve(req: IncomingMessage, res: ServerResponse): boolean {
    const declared = Number(req.headers['content-length']);
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, this.bodyLimit) : this.bodyLimit;
    if (bytes === 0) return true;
    const source = req.socket.remoteAddress ?? '';
    const mine = this.bySource.get(source) ?? 0;
    if (this.total + bytes > this.maxBytes || mine + bytes > this.maxBytesPerSource) return false;
    this.total += bytes;
    this.bySource.set(source, mine + bytes);
    res.once('close', () => {
      this.total -= bytes;
      const left = (this.bySource.get(source) ?? bytes) - bytes;
      if (left > 0) this.bySource.set(source, left);
      else this.bySource.delete(source);
    });
    return true;
  }
}
