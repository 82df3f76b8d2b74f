/**
 * What a front end asks the core to do, split by who needs it: the target repositories, the query
 * that selects artifacts, and the options of the operation. How to reach the API (token, URL) is
 * the session's, not the request's.
 */

export type Operation = 'list' | 'download' | 'delete'
export type IfNoArtifactFound = 'fail' | 'warn' | 'ignore'

/** One line of the `name` or `exclude` setting. */
export interface NamePattern {
  kind: 'exact' | 'glob' | 'regex'
  /** The line as the user wrote it, for messages. */
  source: string
  matches(name: string): boolean
}

/** Filters on the workflow run that produced an artifact. Unset fields do not filter. */
export interface RunFilters {
  /** Workflow file name (`build.yml`) or numeric id, as given. */
  workflow?: string
  branch?: string
  event?: string
  /** Head SHA of the run, or a prefix of it, lower case. */
  commit?: string
  pullRequest?: number
  /** Run conclusion (`success`, `failure`, ...). */
  conclusion?: string
}

export interface Repository {
  owner: string
  repo: string
}

/**
 * One line of the `repository` setting: an owner and a pattern over the names of its
 * repositories. An exact name is one repository; a glob means every repository of the owner the
 * token can list whose name it matches.
 */
export interface RepositoryPattern {
  owner: string
  name: NamePattern
}

/** Which artifacts: the run scope, names, run filters, and the retention rules. */
export interface Query {
  /** Only this run's artifacts. */
  runId?: number
  names: NamePattern[]
  exclude: NamePattern[]
  runFilters: RunFilters
  /** Only artifacts created longer ago than this many milliseconds. */
  olderThanMs?: number
  /** Per name, this many newest unexpired candidates are protected. */
  keepLatest: number
  /** Only artifacts of at least this many bytes. */
  minSize?: number
}

export interface DownloadOptions {
  /** Absolute destination. */
  path: string
  mergeMultiple: boolean
  extract: boolean
  deleteAfterDownload: boolean
  /** Accept artifacts of other runs triggered from forks (untrusted). */
  allowForks: boolean
  /** Keep verified artifacts in the runner's cache by digest, and serve them from there. */
  cache: boolean
  /**
   * The run this process belongs to, when it runs inside one: a download with no run scope and
   * no run filter takes its artifacts, and they are trusted whatever made the run.
   */
  currentRunId?: number
}

export interface DeleteOptions {
  dryRun: boolean
  /** DELETE requests at most; unset: no cap. */
  maxDeletions?: number
}

interface RequestBase {
  /** The user's lines, resolved to repositories only once the API can be asked. */
  repositories: RepositoryPattern[]
  query: Query
  ifNoArtifactFound: IfNoArtifactFound
}

export type Request =
  | (RequestBase & { operation: 'list' })
  | (RequestBase & { operation: 'download'; download: DownloadOptions })
  | (RequestBase & { operation: 'delete'; delete: DeleteOptions })

/** `owner/name`, as outputs and messages show a repository. */
export function fullName({ owner, repo }: Repository): string {
  return `${owner}/${repo}`
}

/** Whether the `repository` lines may name several repositories: more than one, or a glob. */
export function spansRepositories(patterns: RepositoryPattern[]): boolean {
  return patterns.length > 1 || patterns.some((pattern) => pattern.name.kind !== 'exact')
}

/** True when any run filter is set. */
export function hasRunFilters(filters: RunFilters): boolean {
  return Object.values(filters).some((value) => value !== undefined)
}

/**
 * Whether `download` searches back for the newest matching run rather than taking a known one:
 * no `run-id`, and either run filters or no current run to fall back on (a terminal has none).
 */
export function searchesForRun(query: Query, currentRunId: number | undefined): boolean {
  return (
    query.runId === undefined && (hasRunFilters(query.runFilters) || currentRunId === undefined)
  )
}
