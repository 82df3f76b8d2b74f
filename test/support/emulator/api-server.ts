import { randomBytes } from 'node:crypto'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { FaultList } from './faults.js'
import { holdUnlessClosed, logEntry, requestUrl, sleep, type Handler } from './http.js'
import { paginate } from './pagination.js'
import type { RateLimiter } from './rate-limits.js'
import { pullRequestJson } from './pull-requests.js'
import {
  artifactJson,
  enterpriseServerArtifactJson,
  workflowJson,
  workflowRunJson,
  type RepoContext,
} from './representations.js'
import { searchRuns } from './run-search.js'
import type { RepositoryState, StoredArtifact, StoredRun } from './state.js'
import type { UrlSigner } from './signed-urls.js'
import type { ArtifactShape, Fault, LoggedRequest, RequestListener } from './types.js'

const DOCS = 'https://docs.github.com/rest'
const RATE_LIMIT_DOCS = `${DOCS}/using-the-rest-api/rate-limits-for-the-rest-api`
const INSTALLATION_ID = 4242

export interface ApiDependencies {
  state: RepositoryState
  context: RepoContext
  /** http://127.0.0.1:PORT: Link URLs are this plus the request path. */
  origin: string
  pathPrefix: string
  token: string
  signer: UrlSigner
  faults: FaultList
  limiter: RateLimiter
  /** Changed while running (setLatency). */
  settings: { latencyMs: number; forbidDelete: boolean; artifactShape: ArtifactShape }
  log: LoggedRequest[]
  listeners: RequestListener[]
}

interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

type RouteHandler = (match: string[], url: URL) => Answer

interface Route {
  method: string
  /** Matched against the path after /repos/{owner}/{repo}. */
  pattern: RegExp
  handle: RouteHandler
}

const REPO_PATH = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/

export function createApiHandler(deps: ApiDependencies): Handler {
  const routes = repositoryRoutes(deps)
  return async (request, response) => {
    const url = requestUrl(request)
    const entry = logEntry(request, url)
    deps.log.push(entry)
    for (const listener of deps.listeners) await listener(entry)
    await sleep(deps.settings.latencyMs)
    // Faults stand for failures in front of GitHub (proxies, network): they come first and
    // use none of the rate limit.
    const fault = deps.faults.take('api', entry.method, url.pathname)
    if (fault?.reset === 'connection') {
      request.socket.destroy()
      return
    }
    const stallMs = fault?.stallMs ?? 0
    const [headerStallMs, bodyStallMs] = fault?.stallAfterHeaders ? [0, stallMs] : [stallMs, 0]
    if (!(await holdUnlessClosed(response, headerStallMs))) return
    const answer =
      fault && failsRequest(fault) ? faultAnswer(fault) : answerRequest(deps, routes, request, url)
    entry.status = answer.status
    await send(response, answer, deps.limiter, bodyStallMs)
  }
}

function answerRequest(
  deps: ApiDependencies,
  routes: Route[],
  request: IncomingMessage,
  url: URL,
): Answer {
  if (!hasToken(request, deps.token)) return errorAnswer(401, 'Bad credentials')
  const method = request.method ?? 'GET'
  const verdict = deps.limiter.admit(method)
  if (verdict.kind === 'primary-exceeded') {
    return errorAnswer(
      403,
      `API rate limit exceeded for installation ID ${INSTALLATION_ID}.`,
      `${RATE_LIMIT_DOCS}#about-the-primary-rate-limit`,
    )
  }
  if (verdict.kind === 'secondary-exceeded') {
    return {
      ...errorAnswer(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
      ),
      headers: { 'retry-after': String(verdict.retryAfterSeconds) },
    }
  }
  return route(deps, routes, method, url)
}

function route(deps: ApiDependencies, routes: Route[], method: string, url: URL): Answer {
  const { pathPrefix, context } = deps
  if (!url.pathname.startsWith(`${pathPrefix}/`)) return notFound()
  const repoMatch = REPO_PATH.exec(url.pathname.slice(pathPrefix.length))
  if (!repoMatch || !isRepository(context, repoMatch[1], repoMatch[2])) return notFound()
  const rest = repoMatch[3] ?? ''
  for (const candidate of routes) {
    const match = candidate.pattern.exec(rest)
    if (match && candidate.method === method) return candidate.handle(match.slice(1), url)
  }
  return notFound()
}

/** Owner and repository names are not case sensitive on GitHub. */
function isRepository(context: RepoContext, owner: string, repo: string): boolean {
  const same = (a: string, b: string) => decodeURIComponent(a).toLowerCase() === b.toLowerCase()
  return same(owner, context.owner) && same(repo, context.repo)
}

function hasToken(request: IncomingMessage, token: string): boolean {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match?.[1] === token
}

function repositoryRoutes(deps: ApiDependencies): Route[] {
  const { state, context } = deps
  const renderArtifact = (artifact: StoredArtifact) => {
    if (deps.settings.artifactShape === 'ghes')
      return enterpriseServerArtifactJson(context, artifact)
    const run = state.run(artifact.runId)
    if (!run) throw new Error(`artifact ${artifact.id} belongs to unknown run ${artifact.runId}`)
    return artifactJson(context, artifact, run)
  }
  const pageOf = <T>(key: string, items: T[], render: (item: T) => unknown, url: URL): Answer => {
    const page = paginate(items, url, deps.origin)
    return {
      status: 200,
      body: { total_count: items.length, [key]: page.items.map(render) },
      headers: page.link ? { link: page.link } : {},
    }
  }
  // exclude_pull_requests: "If `true` pull requests are omitted from the response (empty
  // array)" (OpenAPI description of the run endpoints).
  const runRenderer = (url: URL) => (run: StoredRun) => {
    const json = workflowRunJson(context, run)
    const exclude = url.searchParams.get('exclude_pull_requests') === 'true'
    return exclude ? { ...json, pull_requests: [] } : json
  }
  const artifactList = (url: URL, runId?: number) =>
    pageOf(
      'artifacts',
      state.artifacts({ runId, name: url.searchParams.get('name') ?? undefined }),
      renderArtifact,
      url,
    )
  const runList = (url: URL, workflowId?: number) => {
    const query = url.searchParams
    const runs = state.runs({
      workflowId,
      branch: query.get('branch') ?? undefined,
      event: query.get('event') ?? undefined,
      status: query.get('status') ?? undefined,
      headSha: query.get('head_sha') ?? undefined,
    })
    return pageOf('workflow_runs', searchRuns(runs, query), runRenderer(url), url)
  }
  const found = (value: unknown): Answer =>
    value === undefined ? notFound() : { status: 200, body: value }

  return [
    { method: 'GET', pattern: /^\/actions\/artifacts$/, handle: (_, url) => artifactList(url) },
    {
      method: 'GET',
      pattern: /^\/actions\/artifacts\/(\d+)$/,
      handle: ([id]) => {
        const artifact = state.artifact(Number(id))
        return found(artifact && renderArtifact(artifact))
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/actions\/artifacts\/(\d+)$/,
      handle: ([id]) => {
        if (deps.settings.forbidDelete) {
          // GitHub names the permission a fine-grained token lacks in this header (GitHub
          // changelog 2023-08-10, "X-Accepted-GitHub-Permissions header").
          return {
            ...errorAnswer(
              403,
              'Resource not accessible by integration',
              `${DOCS}/actions/artifacts#delete-an-artifact`,
            ),
            headers: { 'x-accepted-github-permissions': 'actions=write' },
          }
        }
        return state.deleteArtifact(Number(id)) ? { status: 204 } : notFound()
      },
    },
    {
      method: 'GET',
      pattern: /^\/actions\/artifacts\/(\d+)\/([^/]+)$/,
      handle: ([id, format]) => {
        const artifact = state.artifact(Number(id))
        if (!artifact || format !== 'zip') return notFound()
        if (artifact.expired) {
          return errorAnswer(
            410,
            'Artifact has expired',
            `${DOCS}/actions/artifacts#download-an-artifact`,
          )
        }
        return { status: 302, headers: { location: deps.signer.sign(artifact.id) } }
      },
    },
    { method: 'GET', pattern: /^\/actions\/runs$/, handle: (_, url) => runList(url) },
    {
      method: 'GET',
      pattern: /^\/actions\/runs\/(\d+)$/,
      handle: ([id], url) => {
        const run = state.run(Number(id))
        return found(run && runRenderer(url)(run))
      },
    },
    {
      method: 'GET',
      pattern: /^\/actions\/runs\/(\d+)\/artifacts$/,
      handle: ([id], url) => (state.run(Number(id)) ? artifactList(url, Number(id)) : notFound()),
    },
    {
      method: 'GET',
      pattern: /^\/pulls\/(\d+)$/,
      handle: ([number]) => {
        const head = state.pullRequestHead(Number(number))
        return found(head && pullRequestJson(context, head, Number(number)))
      },
    },
    {
      method: 'GET',
      pattern: /^\/actions\/workflows\/([^/]+)$/,
      handle: ([idOrFile]) => {
        const workflow = state.workflow(decodeURIComponent(idOrFile))
        return found(workflow && workflowJson(context, workflow))
      },
    },
    {
      method: 'GET',
      pattern: /^\/actions\/workflows\/([^/]+)\/runs$/,
      handle: ([idOrFile], url) => {
        const workflow = state.workflow(decodeURIComponent(idOrFile))
        return workflow ? runList(url, workflow.id) : notFound()
      },
    },
  ]
}

function notFound(): Answer {
  return errorAnswer(404, 'Not Found')
}

function errorAnswer(status: number, message: string, documentationUrl = DOCS): Answer {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } }
}

/** A stall alone delays the real answer; any other fault replaces it (500 by default). */
function failsRequest(fault: Fault): boolean {
  return fault.status !== undefined || fault.stallMs === undefined
}

function faultAnswer(fault: Fault): Answer {
  const status = fault.status ?? 500
  const answer = errorAnswer(status, STATUS_CODES[status] ?? 'Emulated fault')
  return fault.retryAfter === undefined
    ? answer
    : { ...answer, headers: { 'retry-after': String(fault.retryAfter) } }
}

/** With bodyStallMs, the status and headers go out at once and the body that much later. */
async function send(
  response: ServerResponse,
  answer: Answer,
  limiter: RateLimiter,
  bodyStallMs: number,
): Promise<void> {
  const body = answer.body === undefined ? undefined : JSON.stringify(answer.body)
  response.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)),
    ...limiter.headers(),
    'x-github-api-version-selected': '2022-11-28',
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': requestId(),
    ...answer.headers,
  })
  if (bodyStallMs > 0) {
    response.flushHeaders()
    if (!(await holdUnlessClosed(response, bodyStallMs))) return
  }
  response.end(body)
}

/** Shaped like GitHub's (hex groups separated by colons). */
function requestId(): string {
  const hex = randomBytes(14).toString('hex').toUpperCase()
  return [
    hex.slice(0, 4),
    hex.slice(4, 10),
    hex.slice(10, 16),
    hex.slice(16, 22),
    hex.slice(22),
  ].join(':')
}
