/**
 * The one closed union of error codes Steward uses everywhere (server, CLI, pure packages),
 * the one table mapping each code to an HTTP status, and the one error envelope.
 */
export const ERROR_HTTP_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  invalid_path: 400,
  digest_mismatch: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_exists: 409,
  payload_too_large: 413,
  /** The request is well-formed, but the stored records lack what it needs (e.g. a field an export format requires). */
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  /** Stored data fails its own integrity check (e.g. the ledger no longer matches a signed checkpoint). */
  integrity_violation: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_HTTP_STATUS;

export const ERROR_CODES = Object.keys(ERROR_HTTP_STATUS) as ErrorCode[];

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class StewardError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'StewardError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_HTTP_STATUS[this.code];
  }

  toEnvelope(): ErrorEnvelope {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_HTTP_STATUS, value);
}
