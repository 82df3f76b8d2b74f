/**
 * The settings a user gives, by the name both front ends use: the action's input `run-id` is the
 * terminal's flag `--run-id`. Errors and warnings carry these names as data, so each front end
 * words them in its own vocabulary.
 */
export type SettingName =
  | 'operation'
  | 'github-token'
  | 'repository'
  | 'run-id'
  | 'name'
  | 'exclude'
  | 'workflow'
  | 'branch'
  | 'event'
  | 'commit'
  | 'pull-request'
  | 'workflow-conclusion'
  | 'allow-forks'
  | 'path'
  | 'merge-multiple'
  | 'extract'
  | 'delete-after-download'
  | 'if-no-artifact-found'
  | 'older-than'
  | 'keep-latest'
  | 'min-size'
  | 'dry-run'
  | 'max-deletions'
  | 'cache'

/**
 * How a front end writes a setting, optionally with a value: the action `allow-forks: true`, the
 * terminal `--allow-forks`.
 */
export type Wording = (setting: SettingName, value?: string) => string

/**
 * How the token gets `permission` on a repository, worded for whichever front end shows it: the
 * action's `github-token` is most often a workflow's own token, the terminal's a personal one.
 */
export function permissionHint(permission: string, word: Wording): string {
  const access = permission === 'actions: write' ? 'Read and write' : 'Read'
  return (
    `the token (\`${word('github-token')}\`) needs \`${permission}\`: in a workflow, a ` +
    `\`permissions:\` block granting it; a fine-grained personal token, "Actions: ${access}" on ` +
    `the repository; a classic one, the \`repo\` scope`
  )
}

/** The wording used for an error's plain `message`: the setting's own name. */
const plainWording: Wording = (setting, value) =>
  value === undefined ? setting : `${setting}: ${value}`

/**
 * An error whose text names settings: `message` uses the plain names, `explain` words them the
 * way the front end showing it does.
 */
export class WordedError extends Error {
  constructor(
    readonly explain: (word: Wording) => string,
    options?: ErrorOptions,
  ) {
    super(explain(plainWording), options)
    this.name = 'WordedError'
  }
}

/** A bad setting: raised before any API call; `explain` says what is wrong with it. */
export class SettingError extends WordedError {
  constructor(
    readonly setting: SettingName,
    explain: (word: Wording) => string,
  ) {
    super(explain)
    this.name = 'SettingError'
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

/**
 * A rate limit refuses requests: the primary limit is (nearly) used up, or the secondary limit
 * keeps refusing for longer than is worth waiting. Callers stop cleanly rather than wait.
 */
export class RateLimitExhaustedError extends Error {
  constructor(
    readonly resetAt: Date,
    readonly limit: 'primary' | 'secondary' = 'primary',
    /** What was refused, for the message: the call and the API's answer. */
    refused?: string,
  ) {
    super(
      (refused ? `${refused}. ` : '') +
        (limit === 'primary'
          ? `The API rate limit is used up until ${resetAt.toISOString()}`
          : `GitHub's secondary rate limit refuses requests until about ${resetAt.toISOString()}`),
    )
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

/** An error's message, or the thrown value itself when it is not an Error. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The text a front end shows for an error, with settings in its own words. */
export function explainError(error: unknown, word: Wording): string {
  if (error instanceof WordedError) return error.explain(word)
  return errorText(error)
}
