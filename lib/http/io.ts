/** Small node:http helpers shared by every server in the project. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/**
 * Reads the whole body as bytes, refusing anything over `limit` bytes. Signatures are checked on these
 * exact bytes. An oversized body is not read any further (the caller answers with `refuseTooLarge`,
 * which closes the connection): draining it would let a client make us read gigabytes.
 */
export function readRawBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        chunks.length = 0;
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads the whole body as UTF-8 text (see readRawBody). */
export async function readBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<string> {
  return (await readRawBody(req, limit)).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** 413 with a JSON error, then the connection is closed: the rest of the body is never read. */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const body = JSON.stringify({
    errors: [{ message: `Request body larger than ${limit} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE', maxBytes: limit } }],
  });
  res.shouldKeepAlive = false;
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body, () => req.socket.destroy());
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The path without query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Closes a server and its idle keep-alive sockets, so shutdown never hangs on a pooled client. */
/**
 * Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left.
 * Keep-alive connections are closed as soon as they fall idle, so a drained server closes early.
 */
export function closeServer(server: import('node:http').Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    idleSweep.unref();
    deadline.unref();
    server.close(() => {
      clearInterval(idleSweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
