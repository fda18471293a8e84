// @ts-check
/**
 * A server on another origin (another port) that records every request it gets, to
 * prove that no token is ever sent to an origin outside the allowlist. It allows CORS so
 * a request that did carry a token would reach it and be recorded.
 */
import { createServer } from 'node:http';

const port = Number(process.env.FOREIGN_PORT ?? 5302);
/** @type {Array<{ method: string, url: string, headers: Record<string, unknown>, body: string }>} */
let records = [];

const server = createServer((req, res) => {
  const chunks = /** @type {Buffer[]} */ ([]);
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/__records') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(records));
    }
    if (req.url === '/__reset') {
      records = [];
      res.writeHead(204);
      return res.end();
    }
    records.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
    });
    res.end(JSON.stringify({ foreign: true }));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`foreign origin recorder on http://127.0.0.1:${port}/`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
