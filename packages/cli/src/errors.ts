/** Exit codes: 0 success, 1 the operation failed (server refused, verification failed), 2 usage, configuration or I/O error. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
