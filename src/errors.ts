/** A bad input value: the message names the input, and it is raised before any API call. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`)
    this.name = 'InputError'
  }
}

/** The artifact has expired (its `expired` flag, or a 410 from the download endpoint). */
export class ArtifactExpiredError extends Error {
  constructor(
    readonly artifactName: string,
    readonly artifactId: number,
    readonly expiresAt: string | null,
  ) {
    super(
      `Artifact '${artifactName}' (id ${artifactId}) has expired` +
        (expiresAt ? ` (at ${expiresAt})` : '') +
        ' and can no longer be downloaded',
    )
    this.name = 'ArtifactExpiredError'
  }
}

/** The primary rate limit is (nearly) used up: callers stop cleanly rather than wait an hour. */
export class RateLimitExhaustedError extends Error {
  constructor(readonly resetAt: Date) {
    super(`The API rate limit is used up until ${resetAt.toISOString()}`)
    this.name = 'RateLimitExhaustedError'
  }
}

/**
 * An error that carries an HTTP status: an Octokit request error (with the answer's headers and
 * body) or the client's ApiError.
 */
export interface HttpError extends Error {
  status: number
  response?: { headers: Record<string, string | undefined>; data?: unknown }
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof Error && typeof (error as HttpError).status === 'number'
}
