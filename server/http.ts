/** What every route of the demo server uses: typed HTTP errors, JSON in and out, grants. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GrantResult } from './auth.js';

const MAX_BODY_BYTES = 64 * 1024;

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
/** One handler per `METHOD /path`. */
export type Routes = Record<string, Handler>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `omitExpiresIn`: as a server (or a proxy) that says nothing of the lifetime, leaving the JWT `exp` to decide. */
export function sendGrant(res: ServerResponse, result: GrantResult, flavour: 'json' | 'oauth', omitExpiresIn = false): void {
  if (!result.ok) return sendJson(res, result.status, { error: result.error, error_description: result.description });
  const { tokens } = result;
  const expiresIn = omitExpiresIn ? undefined : tokens.expires_in;
  if (flavour === 'oauth') return sendJson(res, 200, { ...tokens, expires_in: expiresIn }, { 'cache-control': 'no-store' });
  sendJson(
    res,
    200,
    { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn, tokenType: 'Bearer', ...(tokens.refresh_expires_in === undefined ? {} : { refreshExpiresIn: tokens.refresh_expires_in }) },
    { 'cache-control': 'no-store' },
  );
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'invalid_request', 'Body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text || '{}');
  } catch {
    throw new HttpError(400, 'invalid_request', 'Body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'invalid_request', 'Body must be a JSON object');
  return body as Record<string, unknown>;
}

export async function readFormBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req));
}
