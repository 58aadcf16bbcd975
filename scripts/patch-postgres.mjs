/* global process, console */
// Runs after `npm ci` (package.json postinstall): patches postgres.js 3.4.9's write scheduler.
//
// When a connection closes while a small write waits for its setImmediate, the driver nulls the
// socket but keeps the timer id and the buffered bytes, so either the immediate later writes to a
// null socket (an uncaught TypeError that kills the node: porsager/postgres#1154, #1208) or the
// connection never sends again. A PostgreSQL outage triggers it (test/reliability/postgres-outage).
// Upstream fixes are proposed (porsager/postgres#1168, #1209) but not released; remove this script
// once a release has one. It refuses to run on any other driver text than the one it knows.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '/* catalog-node: null-socket guard */';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');
if (!existsSync(root)) process.exit(0); // not installed (yet): nothing to patch

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const REPLACEMENTS = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  // Both teardown paths forget the pending write, so the next one on this connection is scheduled.
  ['      error(Errors.connection(\'CONNECTION_DESTROYED\', options))\n\n    clearImmediate(nextWriteTimer)\n', "      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n"],
  ['    incomings = null\n    clearImmediate(nextWriteTimer)\n', '    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n'],
];

const patched = [];
for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js']) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  let text = readFileSync(path, 'utf8');
  if (text.includes(MARK)) continue;
  for (const [from, to] of REPLACEMENTS) {
    if (text.split(from).length !== 2) {
      console.error(`scripts/patch-postgres.mjs: postgres ${version} ${file} is not the text this patch knows; check whether the release fixes porsager/postgres#1154 and remove the patch`);
      process.exit(1);
    }
    text = text.replace(from, to);
  }
  writeFileSync(path, text);
  patched.push(file);
}
if (patched.length > 0) console.log(`patched postgres ${version} (${patched.join(', ')}): null-socket guard in its write scheduler`);
