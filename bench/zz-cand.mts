import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { writeFileSync } from 'node:fs';
import * as schema from '../src/db/schema/index.js';
import { resolutionCandidateGroups } from '../src/db/queries/dependencies.js';
const client = postgres('postgres://postgres@127.0.0.1:5432/bench_resolve', { max: 1, connection: { jit: 'off' } });
let captured: { q: string; p: unknown[] } | undefined;
const db = drizzle(client, { schema, logger: { logQuery: (q, p) => { captured = { q, p }; } } });
const seed = { names: [{ type: 'heat_templates', name: 'n0000' }], ids: [], sight: { kind: 'all' } as never };
const times: number[] = [];
for (let i = 0; i < 12; i++) { const t = performance.now(); await resolutionCandidateGroups(db as never, seed); times.push(performance.now() - t); }
console.log('statement+transfer ms', times.map((t) => t.toFixed(0)).join(' '));
let text = captured!.q;
captured!.p.forEach((v, i) => { text = text.replaceAll(new RegExp(`\\$${i + 1}(?![0-9])`, 'g'), Array.isArray(v) ? `'{${(v as string[]).join(',')}}'` : `'${String(v)}'`); });
writeFileSync('/tmp/cand.sql', text);
await client.end();
