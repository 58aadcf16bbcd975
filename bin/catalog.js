#!/usr/bin/env node
/* global process */
// The `catalog` client. Runs the TypeScript sources directly (tsx), as catalog-node does.
import { register } from 'tsx/esm/api';

// Output piped into `head` that stops reading is not an error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
register();
const { main } = await import('../src/cli/catalog.ts');
process.exitCode = await main(process.argv.slice(2));
