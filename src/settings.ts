/** The typed settings object: every input, parsed and validated once, before any API call. */

export type Operation = 'list' | 'download' | 'delete'
export type IfNoArtifactFound = 'fail' | 'warn' | 'ignore'

/** One line of the `name` or `exclude` input. */
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
  /** Head SHA of the run. */
  commit?: string
  pullRequest?: number
  /** Run conclusion (`success`, `failure`, ...). */
  conclusion?: string
}

export interface Repository {
  owner: string
  repo: string
}

export interface Settings {
  operation: Operation
  token: string
  repository: Repository
  /** `run-id` input. */
  runId?: number
  /** `GITHUB_RUN_ID`: the run this step belongs to (download's default scope). */
  currentRunId?: number
  names: NamePattern[]
  exclude: NamePattern[]
  runFilters: RunFilters
  allowForks: boolean
  /** Absolute download destination. */
  path: string
  mergeMultiple: boolean
  extract: boolean
  deleteAfterDownload: boolean
  ifNoArtifactFound: IfNoArtifactFound
  /** Only artifacts created longer ago than this many milliseconds. */
  olderThanMs?: number
  keepLatest: number
  /** Only artifacts of at least this many bytes. */
  minSize?: number
  dryRun: boolean
  maxDeletions?: number
}

/** True when any run filter is set (SPEC rule 1 and 2). */
export function hasRunFilters(filters: RunFilters): boolean {
  return Object.values(filters).some((value) => value !== undefined)
}
