import { build } from 'vite';
import { gzipSync } from 'node:zlib';
import { readFileSync, readdirSync } from 'node:fs';
await build({ configFile: false, logLevel: 'silent', build: { outDir: '/tmp/szp', emptyOutDir: true, minify: true, lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'page.js' }, rolldownOptions: { external: [/^axios/] } } });
for (const f of readdirSync('/tmp/szp')) if (f.endsWith('.js')) console.log(f, gzipSync(readFileSync('/tmp/szp/'+f), { level: 9 }).length, readFileSync('/tmp/szp/'+f).length);
