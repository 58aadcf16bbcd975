/**
 * @module Exit codes of `catalog`, one per kind of failure a script may want to tell apart, and
 * the error that carries one up to the entry point.
 */

export const EXIT = {
  /** Server or network trouble, or anything unexpected. */
  failure: 1,
  /** The command line (or a file it names) is wrong; also a 400 from the node. */
  usage: 2,
  notFound: 3,
  /** 401, 403, 413: the node refused who or what asked. */
  refused: 4,
  conflict: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** The exit code for an HTTP status the node answered with. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 401 || status === 403 || status === 413) return EXIT.refused;
  if (status === 400 || status === 405 || status === 415 || status === 416 || status === 422) return EXIT.usage;
  return EXIT.failure;
}
