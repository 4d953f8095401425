// What every request carries through the API once the front (front.ts) has seen it, and the one way answers
// and Status errors are written. Plain node:http types: the resource verbs do not go through express.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { stringify as toYaml } from 'yaml';
import type { Principal } from '../auth/authz.js';
import { BODY_LIMIT } from './body.js';
import { ApiError, internalError, tooLarge, unavailable } from './errors.js';
import { StoreUnavailableError } from '../store/types.js';
import type { RequestAttributes } from './handlers.js';

/** Set on the request by the front; express routes see the same fields (declared in app.ts). */
export interface ApiFields {
  id?: string;
  /** The authenticated caller. */
  user?: Principal;
  /** What the request does, once routed (read by the audit log). */
  attributes?: RequestAttributes;
  /** Why the request was denied, for the audit log. */
  denyReason?: string;
  /** The raw body (a Buffer) once read. */
  body?: unknown;
}

export type ApiRequest = IncomingMessage & ApiFields;

/** The code a response ended with: 499 when the client went away before an answer was sent. */
export function responseCode(res: ServerResponse): number {
  return res.writableFinished || res.headersSent ? res.statusCode : 499;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const YAML_TYPE = 'application/yaml; charset=utf-8';

/** Writes a whole answer: JSON, or YAML when asked for; `warnings` become Kubernetes Warning headers. */
export function sendBody(res: ServerResponse, code: number, body: unknown, opts: { yaml?: boolean; warnings?: string[] } = {}): void {
  const text = opts.yaml ? toYaml(body) : JSON.stringify(body);
  const headers: OutgoingHttpHeaders = { 'Content-Type': opts.yaml ? YAML_TYPE : JSON_TYPE, 'Content-Length': Buffer.byteLength(text) };
  if (opts.warnings?.length) headers['Warning'] = opts.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Any failure as a Kubernetes Status; anything that is not an ApiError is logged and answered as a 500. */
export function sendError(req: ApiRequest, res: ServerResponse, err: unknown, log: Logger): void {
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if ((err as { type?: string }).type === 'entity.too.large') e = tooLarge(BODY_LIMIT);
  else if (err instanceof StoreUnavailableError) {
    // Not a bug here: the store is away. 503 with Retry-After makes clients (client-go, kubectl) try again.
    log.debug({ id: req.id, err: err.message }, 'store unavailable');
    e = unavailable('the store is unavailable; retry shortly');
    res.setHeader('Retry-After', '1');
  } else {
    log.error({ id: req.id, err }, 'unhandled error');
    e = internalError();
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e.code === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="hyprbox"');
  // Refused before its body arrived (no token, throttled, no room to read it): the connection ends with the
  // answer rather than wait for a body nobody will read.
  if (!req.complete) res.setHeader('Connection', 'close');
  sendBody(res, e.code, e.toStatus());
}

/** How long an answer to a malformed or late request may take to leave before its socket is closed. */
const CLIENT_ERROR_LINGER_MS = 2_000;

/**
 * Requests Node's HTTP parser refuses before any handler runs (headers over its 16 KiB limit, a malformed
 * request line) get a Status body like every other error, instead of Node's bare status line.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [code, reason, text, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'RequestHeaderFieldsTooLarge', 'Request Header Fields Too Large', 'the request headers are larger than 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Timeout', 'Request Timeout', 'the request was not received in time']
        : [400, 'BadRequest', 'Bad Request', 'malformed HTTP request'];
  const body = JSON.stringify(new ApiError(code, reason, message).toStatus());
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  // The answer may never leave (a TLS socket whose handshake never finished cannot write it, a client that
  // does not read keeps it queued): the socket is closed regardless soon after, or it would be held forever.
  const timer = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
