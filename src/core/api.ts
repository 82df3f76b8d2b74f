import type { IncomingMessage } from 'node:http'
import type { Artifact } from './artifact.js'
import type { Pacer } from './delete/pacing.js'
import type { Repository } from './request.js'

/** A workflow run (the fields this action reads). */
export interface WorkflowRun {
  id: number
  workflow_id: number
  event: string
  status: string | null
  conclusion: string | null
  head_branch: string | null
  head_sha: string
  created_at: string
  repository: { id: number }
  head_repository?: { id: number } | null
  pull_requests: { number: number }[] | null
}

/** The primary rate limit as the latest API answer reported it. */
export interface RateLimitState {
  limit: number
  remaining: number
  /** Epoch seconds at which the window resets. */
  reset: number
}

/** One page of a workflow-runs listing. */
export interface RunPage {
  runs: WorkflowRun[]
  /** Pages after this one, as the listing's total count tells. */
  pagesLeft: number
  /** Runs in the whole listing, as the API counts them. */
  totalCount: number
}

/**
 * The filters the runs listing applies on the server. GitHub stops such a filtered listing at
 * 1,000 runs, whatever `total_count` would otherwise say.
 */
export interface RunListingFilters {
  branch?: string
  event?: string
  /** A status or a conclusion. */
  status?: string
  /** A whole 40-hex SHA: the server does not match prefixes. */
  head_sha?: string
}

/** The head of a pull request: where runs of it took their commit from. */
export interface PullRequestHead {
  number: number
  /** The branch, in the head repository. */
  ref: string
  sha: string
  /** Null when the head repository (a fork) has been deleted. */
  repositoryId: number | null
}

export interface ArtifactQuery {
  /** Only this run's artifacts. */
  runId?: number
  /** Server-side exact name filter. */
  name?: string
}

/** A repository the token can see, and whether it accepts writes. */
export interface RepositoryInfo {
  repository: Repository
  /** Archived repositories are read-only: their artifacts can be read, never deleted. */
  archived: boolean
}

/**
 * Everything done with one token. GitHub's primary and secondary rate limits are per token, so
 * the session, not a repository, holds the rate-limit state and the one pacing of deletions,
 * whatever number of repositories a step touches.
 */
export interface ApiSession {
  /** The REST calls for one repository, sharing this session's limits. */
  repository(repository: Repository): ArtifactClient
  /** One repository as the API describes it; an error naming `repository` when it cannot. */
  describeRepository(repository: Repository): Promise<RepositoryInfo>
  /**
   * Every repository of an owner the token can list, every page: an organisation's, or a user's
   * when the owner is no organisation.
   */
  ownerRepositories(owner: string): Promise<RepositoryInfo[]>
  /** Rate limit from the latest answer's headers, if any answer had them. */
  rateLimit(): RateLimitState | undefined
  /** Paces every DELETE made with this token under GitHub's secondary limit. */
  readonly deletions: Pacer
  /** Fetches from the storage host that downloads are redirected to. */
  readonly storage: StorageGet
}

/** How one storage GET is made. */
export interface StorageRequest {
  /** The connection is dropped when it stays silent this long. */
  idleTimeoutMs: number
  /** Extra request headers: `Range` and `If-Match` when resuming or fetching a part. */
  headers?: Record<string, string>
  /** Abandons the request; a front end whose client takes no signal may leave it out. */
  signal?: AbortSignal
}

/**
 * A GET of a signed storage URL, answered with the response whatever its status. It sends no
 * credential but the URL's own signature. A front end supplies it, so its proxy settings apply.
 */
export type StorageGet = (url: string, request: StorageRequest) => Promise<IncomingMessage>

/** A verified artifact's bytes as kept on the runner, with what the storage host said of them. */
export interface CachedArtifact {
  file: string
  contentType: string
  fileName?: string
}

/**
 * Verified artifacts kept on the runner by digest (`sha256:<hex>`), so that a later download of
 * the same bytes needs no storage request. A front end supplies it; what it hands back is checked
 * against the digest before use.
 */
export interface ArtifactCache {
  find(digest: string): Promise<CachedArtifact | undefined>
  keep(digest: string, artifact: CachedArtifact): Promise<void>
}

/** The REST calls the core makes for one repository, independent of how they are made. */
export interface ArtifactClient {
  readonly repository: Repository
  /** Every artifact matching the query, all pages read (newest first, as the API orders them). */
  listArtifacts(query: ArtifactQuery): Promise<Artifact[]>
  /** The same listing a page at a time, newest first, for searches that may stop early. */
  artifactPages(query: ArtifactQuery): AsyncIterable<Artifact[]>
  getRun(runId: number): Promise<WorkflowRun>
  /**
   * The repository's workflow runs (of one workflow, when given), newest first, a page at a time,
   * filtered on the server when filters are given.
   */
  runPages(workflow?: string, filters?: RunListingFilters): AsyncIterable<RunPage>
  /** The pull request's head, looked up once. */
  getPullRequest(number: number): Promise<PullRequestHead>
  /** Numeric id of a workflow given by file name or id. */
  getWorkflowId(workflow: string): Promise<number>
  /** 'gone' when the API answered 404: it was already deleted. */
  deleteArtifact(artifactId: number): Promise<'deleted' | 'gone'>
  /**
   * The signed storage URL the download endpoint redirects to (the 302's Location), fetched with
   * manual redirect so the token never reaches the storage host. Throws ArtifactExpiredError on 410.
   */
  getDownloadUrl(artifact: Artifact): Promise<string>
}
