import { randomBytes } from 'node:crypto'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import { DOCS, errorAnswer, notFound, type Answer } from './answers.js'
import type { FaultList } from './faults.js'
import { holdUnlessClosed, logEntry, requestUrl, sleep, type Handler } from './http.js'
import { answerOwnerListing } from './owner-routes.js'
import { paginate } from './pagination.js'
import { pullRequestJson } from './pull-requests.js'
import type { RateLimiter } from './rate-limits.js'
import {
  artifactJson,
  enterpriseServerArtifactJson,
  workflowJson,
  workflowRunJson,
} from './representations.js'
import type { HostedRepository, Repositories } from './repositories.js'
import { fullRepositoryJson } from './repository-json.js'
import { searchRuns } from './run-search.js'
import type { StoredArtifact, StoredRun } from './state.js'
import type { UrlSigner } from './signed-urls.js'
import { canSee, isGranted, type TokenGrant, type Tokens } from './tokens.js'
import type { ArtifactShape, Fault, LoggedRequest, RequestListener } from './types.js'

const RATE_LIMIT_DOCS = `${DOCS}/using-the-rest-api/rate-limits-for-the-rest-api`
const INSTALLATION_ID = 4242

export interface ApiDependencies {
  repositories: Repositories
  /** http://127.0.0.1:PORT: Link URLs are this plus the request path. */
  origin: string
  pathPrefix: string
  tokens: Tokens
  signer: UrlSigner
  faults: FaultList
  /** Changed while running (setLatency). */
  settings: { latencyMs: number; forbidDelete: boolean; artifactShape: ArtifactShape }
  log: LoggedRequest[]
  listeners: RequestListener[]
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
  const routesOf = routesByRepository(deps)
  return async (request, response) => {
    const url = requestUrl(request)
    const entry = logEntry(request, url)
    const grant = deps.tokens.identify(request)
    if (grant) entry.token = grant.label
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
      fault && failsRequest(fault)
        ? faultAnswer(fault)
        : answerRequest(deps, routesOf, grant, request, url)
    entry.status = answer.status
    // Answers to unknown tokens carry the default token's limits.
    await send(response, answer, (grant ?? deps.tokens.defaultGrant).limiter, bodyStallMs)
  }
}

/** Each repository's routes, built when it is first asked for. */
function routesByRepository(deps: ApiDependencies): (repository: HostedRepository) => Route[] {
  const built = new Map<HostedRepository, Route[]>()
  return (repository) => {
    let routes = built.get(repository)
    if (!routes) {
      routes = repositoryRoutes(deps, repository)
      built.set(repository, routes)
    }
    return routes
  }
}

function answerRequest(
  deps: ApiDependencies,
  routesOf: (repository: HostedRepository) => Route[],
  grant: TokenGrant | undefined,
  request: IncomingMessage,
  url: URL,
): Answer {
  if (!grant) return errorAnswer(401, 'Bad credentials')
  const method = request.method ?? 'GET'
  const verdict = grant.limiter.admit(method)
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
  return route(deps, routesOf, grant, method, url)
}

function route(
  deps: ApiDependencies,
  routesOf: (repository: HostedRepository) => Route[],
  grant: TokenGrant,
  method: string,
  url: URL,
): Answer {
  if (!url.pathname.startsWith(`${deps.pathPrefix}/`)) return notFound()
  const path = url.pathname.slice(deps.pathPrefix.length)
  const repoMatch = REPO_PATH.exec(path)
  if (!repoMatch) {
    return (
      (method === 'GET' && answerOwnerListing(deps.repositories, grant, path, url, deps.origin)) ||
      notFound()
    )
  }
  const repository = deps.repositories.find(
    decodeURIComponent(repoMatch[1]),
    decodeURIComponent(repoMatch[2]),
  )
  if (!repository || !canSee(grant, repository)) return notFound()
  const refusal = isWrite(method) ? writeRefusal(grant, repository) : undefined
  return refusal ?? matchRoute(routesOf(repository), method, repoMatch[3] ?? '', url)
}

function matchRoute(routes: Route[], method: string, rest: string, url: URL): Answer {
  for (const candidate of routes) {
    const match = candidate.pattern.exec(rest)
    if (match && candidate.method === method) return candidate.handle(match.slice(1), url)
  }
  return notFound()
}

function isWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD'
}

/**
 * A public repository a token was not granted can be read but not written to; an archived
 * repository is read-only to everyone (developer.github.com/changes/2017-11-08-archiving-
 * repositories), answering 403 "Repository was archived so is read-only." as public reports
 * of API writes to archived repositories quote it.
 */
function writeRefusal(grant: TokenGrant, repository: HostedRepository): Answer | undefined {
  if (!isGranted(grant, repository)) return notAccessibleByIntegration()
  if (repository.archived) return errorAnswer(403, 'Repository was archived so is read-only.')
  return undefined
}

/**
 * The refusal of a write the token may not make. GitHub names the permission a fine-grained
 * token lacks in x-accepted-github-permissions (GitHub changelog 2023-08-10,
 * "X-Accepted-GitHub-Permissions header"); deleting an artifact, the only write, needs
 * actions: write.
 */
function notAccessibleByIntegration(): Answer {
  return {
    ...errorAnswer(
      403,
      'Resource not accessible by integration',
      `${DOCS}/actions/artifacts#delete-an-artifact`,
    ),
    headers: { 'x-accepted-github-permissions': 'actions=write' },
  }
}

function repositoryRoutes(deps: ApiDependencies, repository: HostedRepository): Route[] {
  const { state, context } = repository
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
    { method: 'GET', pattern: /^$/, handle: () => found(fullRepositoryJson(repository)) },
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
        if (deps.settings.forbidDelete) return notAccessibleByIntegration()
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
