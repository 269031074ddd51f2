/**
 * The CLI's exit codes: scripts branch on them, so they are part of its contract (README.md).
 * 1 is "it ran and did not succeed" (rows failed, a command failed, a projection differs), kept
 * apart from the errors that stopped the CLI before it could find out.
 */
export const EXIT = Object.freeze({
  ok: 0,
  /** It ran; the outcome was not a success. */
  unsuccessful: 1,
  /** The command line was wrong (or a file it names could not be read). */
  usage: 2,
  /** The API answered with a 4xx: a bad request, no token, the wrong role, no such thing. */
  refused: 3,
  /** The API could not be reached, answered 5xx, or answered something that is not the API. */
  unavailable: 4,
  /** A bug in the CLI. */
  internal: 70,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI explains to its user: what was wrong, and what to do. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
  abstract readonly kind: string;
  constructor(
    message: string,
    /** What to do about it. */
    readonly hint: string,
  ) {
    super(message);
  }
}

/** The command line is wrong. */
export class UsageError extends CliError {
  override name = 'UsageError';
  readonly exitCode = EXIT.usage;
  readonly kind = 'usage';
}

/** A field of an RFC 9457 problem's `errors` list. */
export interface ProblemField {
  readonly field: string;
  readonly rule?: string;
  readonly message: string;
  readonly hint?: string;
}

/** What the API said when it refused. */
export interface ApiProblem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly ProblemField[];
}

/** The API answered with an error status. */
export class ApiError extends CliError {
  override name = 'ApiError';
  readonly kind = 'api';
  readonly exitCode: ExitCode;
  constructor(
    message: string,
    hint: string,
    readonly problem: ApiProblem,
  ) {
    super(message, hint);
    this.exitCode = problem.status >= 500 ? EXIT.unavailable : EXIT.refused;
  }
}

/** The API could not be reached, or what answered is not the API. */
export class ConnectionError extends CliError {
  override name = 'ConnectionError';
  readonly exitCode = EXIT.unavailable;
  readonly kind = 'connection';
}

/** No token could be found or made. */
export class TokenError extends CliError {
  override name = 'TokenError';
  readonly exitCode = EXIT.refused;
  readonly kind = 'token';
}
