import type { Artifact } from './artifact.js'
import type {
  ArtifactClient,
  ArtifactQuery,
  RateLimitState,
  RunPage,
  WorkflowRun,
} from './client-types.js'
import {
  ArtifactExpiredError,
  isHttpError,
  RateLimitExhaustedError,
  type HttpError,
} from './errors.js'
import { mapConcurrently } from './concurrency.js'
import { createOctokit, type Octokit } from './octokit.js'
import type { Reporter } from './reporter.js'
import type { Repository } from './settings.js'

export interface ClientOptions {
  token: string
  repository: Repository
  reporter: Reporter
  /** GitHub's API root; GHES: `https://HOST/api/v3`. */
  apiUrl?: string
}

const PER_PAGE = 100
/** Pages read at once after the first; far under GitHub's 100 concurrent requests. */
const PAGE_CONCURRENCY = 8

type Permission = 'actions: read' | 'actions: write'
const READ: Permission = 'actions: read'
const WRITE: Permission = 'actions: write'

/** One API call, described for the error a user reads when it fails. */
interface ApiCall {
  action: string
  permission: Permission
  /** The input to check when the API answers 404. */
  input?: string
}

export function createArtifactClient(options: ClientOptions): ArtifactClient {
  const apiUrl = options.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com'
  options.reporter.mask(options.token)
  const octokit = createOctokit(options.token, apiUrl, options.reporter)
  return new RestArtifactClient(octokit, options)
}

class RestArtifactClient implements ArtifactClient {
  private latestRateLimit: RateLimitState | undefined
  private readonly runs = new Map<number, Promise<WorkflowRun>>()
  private readonly workflowIds = new Map<string, Promise<number>>()
  private readonly owner: string
  private readonly repo: string

  constructor(
    private readonly octokit: Octokit,
    private readonly options: ClientOptions,
  ) {
    this.owner = options.repository.owner
    this.repo = options.repository.repo
    octokit.hook.after('request', (response) => this.noteRateLimit(response.headers))
    octokit.hook.error('request', (error) => {
      if (isHttpError(error) && error.response) this.noteRateLimit(error.response.headers)
      throw error
    })
  }

  rateLimit(): RateLimitState | undefined {
    return this.latestRateLimit
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
    return uniqueById(pages.flatMap((page) => page.artifacts))
  }

  private async listInOrder(query: ArtifactQuery): Promise<Artifact[]> {
    const artifacts: Artifact[] = []
    for await (const page of this.artifactPages(query)) artifacts.push(...page)
    return uniqueById(artifacts)
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
      const call = { action: `Reading workflow run ${runId}`, permission: READ, input: 'run-id' }
      const response = await this.call(call, () =>
        this.octokit.rest.actions.getWorkflowRun({
          owner: this.owner,
          repo: this.repo,
          run_id: runId,
        }),
      )
      return response.data as WorkflowRun
    })
  }

  async *runPages(workflow?: string): AsyncIterable<RunPage> {
    const common = { owner: this.owner, repo: this.repo, per_page: PER_PAGE }
    const call: ApiCall = workflow
      ? {
          action: `Listing the runs of workflow '${workflow}'`,
          permission: READ,
          input: 'workflow',
        }
      : { action: 'Listing workflow runs', permission: READ }
    for (let page = 1; ; page++) {
      const response = await this.call(call, () =>
        workflow
          ? this.octokit.rest.actions.listWorkflowRuns({ ...common, page, workflow_id: workflow })
          : this.octokit.rest.actions.listWorkflowRunsForRepo({ ...common, page }),
      )
      yield {
        runs: response.data.workflow_runs as WorkflowRun[],
        pagesLeft: Math.max(0, Math.ceil(response.data.total_count / PER_PAGE) - page),
      }
      if (!hasNextPage(response.headers.link)) return
    }
  }

  getWorkflowId(workflow: string): Promise<number> {
    if (/^\d+$/.test(workflow)) return Promise.resolve(Number(workflow))
    return memoise(this.workflowIds, workflow, async () => {
      const call = { action: `Reading workflow '${workflow}'`, permission: READ, input: 'workflow' }
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
      this.options.reporter.mask(location)
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
        ? { action: 'Listing artifacts', permission: READ, input: 'repository' }
        : { action: `Listing artifacts of run ${query.runId}`, permission: READ, input: 'run-id' }
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
      artifacts: response.data.artifacts as Artifact[],
      totalCount: response.data.total_count,
      hasNext: hasNextPage(response.headers.link),
    }
  }

  /** Makes one API call, turning its failure into an error a user can act on. */
  private async call<T>(call: ApiCall, request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw this.explain(error, call)
    }
  }

  private explain(error: unknown, { action, permission, input }: ApiCall): Error {
    if (!isHttpError(error)) return error instanceof Error ? error : new Error(String(error))
    const headers = error.response?.headers ?? {}
    if (headers['x-ratelimit-remaining'] === '0') {
      return new RateLimitExhaustedError(new Date(Number(headers['x-ratelimit-reset'] ?? 0) * 1000))
    }
    const { owner, repo } = this
    const detail = apiMessage(error)
    let hint = ''
    if (error.status === 401) {
      hint = ' The token was refused: check `github-token`.'
    } else if (error.status === 403 && !/rate limit/i.test(detail)) {
      hint = ` The token needs the \`${permission}\` permission on ${owner}/${repo} (a \`permissions:\` block in the workflow, or a token with access to that repository).`
    } else if (error.status === 404 && input) {
      hint = ` Check \`${input}\`, and that the token can read ${owner}/${repo}.`
    }
    return new ApiError(
      error.status,
      `${action} in ${owner}/${repo} failed: HTTP ${error.status} ${detail}.${hint}`,
    )
  }

  private noteRateLimit(headers: Record<string, string | number | undefined>): void {
    const remaining = headers['x-ratelimit-remaining']
    if (remaining === undefined) return
    this.latestRateLimit = {
      limit: Number(headers['x-ratelimit-limit']),
      remaining: Number(remaining),
      reset: Number(headers['x-ratelimit-reset']),
    }
  }
}

/** An API answer that failed, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

interface ArtifactPage {
  artifacts: Artifact[]
  totalCount: number
  hasNext: boolean
}

function hasNextPage(link: string | undefined): boolean {
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

function uniqueById(artifacts: Artifact[]): Artifact[] {
  const seen = new Map<number, Artifact>()
  for (const artifact of artifacts) if (!seen.has(artifact.id)) seen.set(artifact.id, artifact)
  return [...seen.values()]
}
