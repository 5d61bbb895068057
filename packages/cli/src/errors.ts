/** Exit codes: 0 success, 1 the operation failed (server refused, verification failed, scan findings), 2 usage, configuration or I/O error, 3 scan inconclusive. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3 = 1,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
