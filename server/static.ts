/** The built demo's files. */
import type { ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { HttpError } from './http.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/**
 * What makes a page cross-origin isolated: the benchmark's pages need it for a 5 µs
 * `performance.now()` (100 µs otherwise, in Chromium: a 2.5 ms request's p50 then moves in
 * 4 % steps, too coarse for a 3 % goal). CORP lets the vault's frame (another origin) load.
 * Pages only: a worker script served with COEP runs isolated too, and woke from stopped in
 * twice the time (a bare worker 8.5 -> 16 ms), which is not what the cold start measures.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'cross-origin',
};

/**
 * Serves `path` under `root` (never outside it), with `suffix` appended (a worker version tag),
 * and, for a page, `headers` beside the usual ones.
 */
export async function serveStatic(root: string, path: string, res: ServerResponse, suffix = '', headers: Record<string, string> = {}): Promise<void> {

  let relative: string;
  try {
    relative = decodeURIComponent(path);
  } catch {
    throw new HttpError(400, 'invalid_request', 'Bad path encoding');
  }
  if (relative.endsWith('/')) relative += 'index.html';
  const file = normalize(join(root, relative));
  if (!file.startsWith(normalize(root + sep))) throw new HttpError(404, 'not_found', 'Not found');
  let target = file;
  try {
    if ((await stat(target)).isDirectory()) target = join(target, 'index.html');
  } catch {
    throw new HttpError(404, 'not_found', `Not found: ${path}`);
  }
  let data: Buffer;
  try {
    data = await readFile(target);
  } catch {
    throw new HttpError(404, 'not_found', `Not found: ${path}`);
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
    // Workers and pages must update at once in the demo and the tests.
    'cache-control': 'no-cache',
    ...(extname(target) === '.html' ? headers : {}),
  });
  res.end(suffix ? Buffer.concat([data, Buffer.from(suffix)]) : data);
}
