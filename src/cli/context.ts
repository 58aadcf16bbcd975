/**
 * @module What every command's action gets: the node client for the chosen profile, how to print,
 * and whether progress bars may be drawn.
 */
import { NodeClient } from './client.js';
import { outputOptions, print, type GlobalOptions, type OutputOptions, type Printable } from './output.js';
import { resolveConnection } from './profiles.js';

export interface CommandContext {
  globals: GlobalOptions;
  out: OutputOptions;
  env: Record<string, string | undefined>;
  /** Progress bars: only on a terminal, never with --quiet or --no-progress. */
  progress: boolean;
  client(): NodeClient;
  print(p: Printable): Promise<void>;
  /** A human message on stderr (kept off stdout, which scripts parse); silent with --quiet. */
  note(message: string): void;
}

export function commandContext(globals: GlobalOptions): CommandContext {
  const out = outputOptions(globals);
  const env = process.env;
  let client: NodeClient | undefined;
  return {
    globals,
    out,
    env,
    progress: process.stderr.isTTY === true && !out.quiet && globals.progress !== false,
    client: () => (client ??= new NodeClient(resolveConnection({ profile: globals.profile }, env))),
    print: (p) => print(out, p),
    note: (message) => {
      if (!out.quiet) process.stderr.write(`${message}\n`);
    },
  };
}
