import type {
  ArtifactClient,
  ArtifactQuery,
  PullRequestHead,
  RunListingFilters,
  RunPage,
  WorkflowRun,
} from '../core/api.js'
import type { Artifact } from '../core/artifact.js'
import { mapConcurrently } from '../core/concurrency.js'
import {
  ArtifactExpiredError,
  isHttpError,
  permissionHint,
  RateLimitExhaustedError,
  WordedError,
  type HttpError,
  type SettingName,
  type Wording,
} from '../core/errors.js'
import type { Reporter } from '../core/reporter.js'
import { fullName, type Repository } from '../core/request.js'
import type { Octokit } from './octokit.js'

export const PER_PAGE = 100
/** Pages read at once after the first; far under GitHub's 100 concurrent requests. */
const PAGE_CONCURRENCY = 8

type Permission = 'actions: read' | 'actions: write' | 'pull-requests: read' | 'metadata: read'
const READ: Permission = 'actions: read'
const WRITE: Permission = 'actions: write'
const PULLS_READ: Permission = 'pull-requests: read'

/** One API call, described for the error a user reads when it fails. */
export interface ApiCall {
  action: string
  permission: Permission
  /** The setting to check when the API answers 404. */
  setting?: SettingName
}

/** The REST calls for one repository, made with the session's Octokit. */
export class RestArtifactClient implements ArtifactClient {
  private readonly runs = new Map<number, Promise<WorkflowRun>>()
  private readonly workflowIds = new Map<string, Promise<number>>()
  private readonly pullRequests = new Map<number, Promise<PullRequestHead>>()
  /** One run description per run, shared by that run's artifacts in every listing. */
  private readonly artifactRuns = new Map<number, ArtifactRun>()
  private readonly owner: string
  private readonly repo: string

  constructor(
    private readonly octokit: Octokit,
    readonly repository: Repository,
    private readonly reporter: Reporter,
  ) {
    this.owner = repository.owner
    this.repo = repository.repo
  }

  async listArtifacts(query: ArtifactQuery): Promise<Artifact[]> {
    const first = await this.artifactPage(query, 1)
    const pageCount = Math.ceil(first.totalCount / PER_PAGE)
    const rest = await mapConcurrently(range(2, pageCount), PAGE_CONCURRENCY, (page) =>
      this.artifactPage(query, page),
    )
    const pages = [first, ...rest]
    // Artifacts created or deleted while the pages were read shift them, and pages read out of
    // order can then miss an artifact. Read in order, a shift can only repeat one.
    const shifted =
      pages.some((page) => page.totalCount !== first.totalCount) || pages[pages.length - 1].hasNext
    if (shifted) return this.listInOrder(query)
    return uniqueById(pages.map((page) => page.artifacts))
  }

  private async listInOrder(query: ArtifactQuery): Promise<Artifact[]> {
    const pages: Artifact[][] = []
    for await (const page of this.artifactPages(query)) pages.push(page)
    return uniqueById(pages)
  }

  async *artifactPages(query: ArtifactQuery): AsyncIterable<Artifact[]> {
    for (let page = 1; ; page++) {
      const { artifacts, hasNext } = await this.artifactPage(query, page)
      yield artifacts
      if (!hasNext) return
    }
  }

  getRun(runId: number): Promise<WorkflowRun> {
    return memoise(this.runs, runId, async () => {
      const call: ApiCall = {
        action: `Reading workflow run ${runId}`,
        permission: READ,
        setting: 'run-id',
      }
      const response = await this.call(call, () =>
        this.octokit.rest.actions.getWorkflowRun({
          owner: this.owner,
          repo: this.repo,
          run_id: runId,
        }),
      )
      return slimRun(response.data)
    })
  }

  async *runPages(workflow?: string, filters: RunListingFilters = {}): AsyncIterable<RunPage> {
    // The status was checked against GitHub's list when the setting was read.
    const status = filters.status as RunStatus
    const common = { owner: this.owner, repo: this.repo, per_page: PER_PAGE, ...filters, status }
    const call: ApiCall = workflow
      ? {
          action: `Listing the runs of workflow '${workflow}'`,
          permission: READ,
          setting: 'workflow',
        }
      : { action: 'Listing workflow runs', permission: READ }
    for (let page = 1; ; page++) {
      const response = await this.call(call, () =>
        workflow
          ? this.octokit.rest.actions.listWorkflowRuns({ ...common, page, workflow_id: workflow })
          : this.octokit.rest.actions.listWorkflowRunsForRepo({ ...common, page }),
      )
      yield {
        runs: response.data.workflow_runs.map(slimRun),
        pagesLeft: Math.max(0, Math.ceil(response.data.total_count / PER_PAGE) - page),
        totalCount: response.data.total_count,
      }
      if (!hasNextPage(response.headers.link)) return
    }
  }

  getPullRequest(number: number): Promise<PullRequestHead> {
    return memoise(this.pullRequests, number, async () => {
      const call: ApiCall = {
        action: `Reading pull request #${number}`,
        permission: PULLS_READ,
        setting: 'pull-request',
      }
      const response = await this.call(call, () =>
        this.octokit.rest.pulls.get({ owner: this.owner, repo: this.repo, pull_number: number }),
      )
      const head = response.data.head
      return { number, ref: head.ref, sha: head.sha, repositoryId: head.repo?.id ?? null }
    })
  }

  getWorkflowId(workflow: string): Promise<number> {
    if (/^\d+$/.test(workflow)) return Promise.resolve(Number(workflow))
    return memoise(this.workflowIds, workflow, async () => {
      const call: ApiCall = {
        action: `Reading workflow '${workflow}'`,
        permission: READ,
        setting: 'workflow',
      }
      const response = await this.call(call, () =>
        this.octokit.rest.actions.getWorkflow({
          owner: this.owner,
          repo: this.repo,
          workflow_id: workflow,
        }),
      )
      return response.data.id
    })
  }

  async deleteArtifact(artifactId: number): Promise<'deleted' | 'gone'> {
    try {
      await this.call({ action: `Deleting artifact ${artifactId}`, permission: WRITE }, () =>
        this.octokit.rest.actions.deleteArtifact({
          owner: this.owner,
          repo: this.repo,
          artifact_id: artifactId,
        }),
      )
      return 'deleted'
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'gone'
      throw error
    }
  }

  async getDownloadUrl(artifact: Artifact): Promise<string> {
    try {
      const action = `Downloading artifact '${artifact.name}' (id ${artifact.id})`
      const response = await this.call({ action, permission: READ }, () =>
        this.octokit.rest.actions.downloadArtifact({
          owner: this.owner,
          repo: this.repo,
          artifact_id: artifact.id,
          archive_format: 'zip',
          request: { redirect: 'manual' },
        }),
      )
      const location = (response.headers as Record<string, string | undefined>).location
      if (!location) {
        throw new Error(
          `Downloading artifact '${artifact.name}' (id ${artifact.id}): the API answered ${response.status} without a redirect to the storage host`,
        )
      }
      this.reporter.mask(location)
      return location
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) {
        throw new ArtifactExpiredError(artifact.name, artifact.id, artifact.expires_at)
      }
      throw error
    }
  }

  private async artifactPage(query: ArtifactQuery, page: number): Promise<ArtifactPage> {
    const common = { owner: this.owner, repo: this.repo, per_page: PER_PAGE, page }
    const nameFilter = query.name === undefined ? {} : { name: query.name }
    const call: ApiCall =
      query.runId === undefined
        ? { action: 'Listing artifacts', permission: READ, setting: 'repository' }
        : { action: `Listing artifacts of run ${query.runId}`, permission: READ, setting: 'run-id' }
    const response = await this.call(call, () =>
      query.runId === undefined
        ? this.octokit.rest.actions.listArtifactsForRepo({ ...common, ...nameFilter })
        : this.octokit.rest.actions.listWorkflowRunArtifacts({
            ...common,
            ...nameFilter,
            run_id: query.runId,
          }),
    )
    return {
      artifacts: response.data.artifacts.map((artifact) => this.slimArtifact(artifact)),
      totalCount: response.data.total_count,
      hasNext: hasNextPage(response.headers.link),
    }
  }

  /** Only the fields the product reads: a long listing keeps these, not every REST object whole. */
  private slimArtifact(artifact: RestArtifact): Artifact {
    return {
      id: artifact.id,
      name: artifact.name,
      size_in_bytes: artifact.size_in_bytes,
      expired: artifact.expired,
      created_at: artifact.created_at,
      expires_at: artifact.expires_at,
      digest: artifact.digest ?? null,
      workflow_run: artifact.workflow_run ? this.sharedRun(artifact.workflow_run) : null,
    }
  }

  /**
   * The run as the artifact describes it, the same object for every artifact of the run that
   * describes it alike: a run's hundred artifacts keep one branch, one SHA and one object.
   */
  private sharedRun(run: ArtifactRun): ArtifactRun {
    const slim: ArtifactRun = {
      id: run.id,
      repository_id: run.repository_id,
      head_repository_id: run.head_repository_id,
      head_branch: run.head_branch,
      head_sha: run.head_sha,
    }
    if (slim.id === undefined) return slim
    const known = this.artifactRuns.get(slim.id)
    if (known && sameRun(known, slim)) return known
    this.artifactRuns.set(slim.id, slim)
    return slim
  }

  private call<T>(call: ApiCall, request: () => Promise<T>): Promise<T> {
    return callApi(call, fullName(this.repository), request)
  }
}

/** Makes one API call, turning its failure into an error a user can act on. */
export async function callApi<T>(
  call: ApiCall,
  where: string,
  request: () => Promise<T>,
): Promise<T> {
  try {
    return await request()
  } catch (error) {
    throw explain(error, call, where)
  }
}

function explain(error: unknown, { action, permission, setting }: ApiCall, where: string): Error {
  if (!isHttpError(error)) return error instanceof Error ? error : new Error(String(error))
  const headers = error.response?.headers ?? {}
  const detail = apiMessage(error)
  const failed = `${action} in ${where} failed: HTTP ${error.status} ${detail}`
  if (headers['x-ratelimit-remaining'] === '0') {
    const resetAt = new Date(Number(headers['x-ratelimit-reset'] ?? 0) * 1000)
    return new RateLimitExhaustedError(resetAt, 'primary', failed)
  }
  if (isSecondaryLimit(error, detail)) {
    const seconds = Number(headers['retry-after'] ?? SECONDARY_LIMIT_UNSTATED_WAIT_SECONDS)
    const resetAt = new Date(Date.now() + seconds * 1000)
    return new RateLimitExhaustedError(resetAt, 'secondary', failed)
  }
  const hint = (word: Wording): string => {
    if (error.status === 401) return ` The token was refused: check \`${word('github-token')}\`.`
    if (error.status === 403) {
      return ` On ${where}, ${permissionHint(permission, word)}.`
    }
    if (error.status === 404 && setting) {
      return ` Check \`${word(setting)}\`, and that the token can read ${where}.`
    }
    return ''
  }
  return new ApiError(error.status, (word) => `${failed}.${hint(word)}`)
}

/** An API answer that failed, with its HTTP status. */
export class ApiError extends WordedError {
  constructor(
    readonly status: number,
    explain: (word: Wording) => string,
  ) {
    super(explain)
    this.name = 'ApiError'
  }
}

type RunStatus = Parameters<Octokit['rest']['actions']['listWorkflowRunsForRepo']>[0] extends
  { status?: infer S } | undefined
  ? S
  : never

interface ArtifactPage {
  artifacts: Artifact[]
  totalCount: number
  hasNext: boolean
}

/** GitHub's advice for a secondary limit that does not say how long to wait: at least a minute. */
const SECONDARY_LIMIT_UNSTATED_WAIT_SECONDS = 60

/**
 * A secondary-limit answer that outlasted the retries: a 403 or 429 worded as such or saying
 * when to come back (`retry-after`), unlike a refusal for want of permission.
 */
function isSecondaryLimit(error: HttpError, detail: string): boolean {
  if (error.status !== 403 && error.status !== 429) return false
  return (
    /secondary rate limit|abuse/i.test(detail) ||
    error.response?.headers['retry-after'] !== undefined ||
    error.status === 429
  )
}

export function hasNextPage(link: string | undefined): boolean {
  return /rel="next"/.test(link ?? '')
}

function apiMessage(error: HttpError): string {
  const data = error.response?.data
  if (data && typeof data === 'object' && 'message' in data) return String(data.message)
  return error.message
}

function memoise<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  let value = cache.get(key)
  if (!value) {
    value = load()
    cache.set(key, value)
    value.catch(() => cache.delete(key))
  }
  return value
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
}

/**
 * The pages' artifacts as one list, each once. Filled in one pass, with a set of ids rather than
 * a map of artifacts: a listing of 100,000 artifacts makes one list of them, not three.
 */
function uniqueById(pages: Artifact[][]): Artifact[] {
  const seen = new Set<number>()
  const artifacts: Artifact[] = []
  for (const page of pages) {
    for (const artifact of page) {
      if (seen.has(artifact.id)) continue
      seen.add(artifact.id)
      artifacts.push(artifact)
    }
  }
  return artifacts
}

type RestArtifact = Artifact & Record<string, unknown>
type RestRun = Omit<WorkflowRun, 'repository' | 'head_repository'> & {
  repository: { id: number }
  head_repository?: { id: number } | null
}

type ArtifactRun = NonNullable<Artifact['workflow_run']>

function sameRun(a: ArtifactRun, b: ArtifactRun): boolean {
  return (Object.keys(b) as (keyof ArtifactRun)[]).every((key) => a[key] === b[key])
}

function slimRun(run: RestRun): WorkflowRun {
  return {
    id: run.id,
    workflow_id: run.workflow_id,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    head_branch: run.head_branch,
    head_sha: run.head_sha,
    created_at: run.created_at,
    repository: { id: run.repository.id },
    head_repository: run.head_repository ? { id: run.head_repository.id } : null,
    pull_requests: run.pull_requests?.map((pr) => ({ number: pr.number })) ?? null,
  }
}
