import { Octokit as OctokitCore } from '@octokit/core'
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import Bottleneck from 'bottleneck/light.js'
import { systemClock, type Clock } from '../core/clock.js'
import { isHttpError, type HttpError } from '../core/errors.js'
import type { Reporter } from '../core/reporter.js'

const RestOctokit = OctokitCore.plugin(restEndpointMethods, retry, throttling)
export type Octokit = InstanceType<typeof RestOctokit>

/** How to reach the API: the token, the API root, and the fetch a front end may supply. */
export interface Connection {
  token: string
  /** GitHub's API root; GitHub Enterprise Server: `https://HOST/api/v3`. */
  apiUrl: string
  /** A proxy-aware fetch, where the front end knows the proxy; Node's own fetch otherwise. */
  fetch?: typeof fetch
  /** Each API request's deadline, its answer's body included; default REQUEST_DEADLINE_MS. */
  requestDeadlineMs?: number
}

/**
 * GitHub ends an API request that takes more than 10 seconds with a time-out answer, so one
 * still silent well after that is stalled somewhere on the way: it is given up and retried.
 */
const REQUEST_DEADLINE_MS = 20_000

/** Retries of one request, whatever made it fail: never more than this. */
const MAX_RETRIES = 3
/** A primary-limit reset further away than this is not waited for: the caller stops instead. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 60
/** GitHub's advice for a 429 that does not say how long to wait: at least a minute. */
const UNSTATED_WAIT_SECONDS = 60

/** plugin-retry's own list, plus 429: `waitOutRetryAfter` honours its `retry-after` instead. */
const NOT_RETRIED_BY_BACKOFF = [400, 401, 403, 404, 410, 422, 429, 451]

interface RequestInfo {
  method: string
  url: string
}

/**
 * Octokit with bounded retries: backoff on 5xx and network errors (plugin-retry), the rate-limit
 * answers GitHub words as such (plugin-throttling), and any other 403/429 that says when to come
 * back (`retry-after`).
 */
export function createOctokit(
  connection: Connection,
  reporter: Reporter,
  clock: Clock = systemClock,
): Octokit {
  const octokit = new RestOctokit({
    auth: connection.token,
    baseUrl: connection.apiUrl.replace(/\/+$/, ''),
    request: {
      fetch: withDeadline(
        connection.fetch ?? fetch,
        connection.requestDeadlineMs ?? REQUEST_DEADLINE_MS,
      ),
    },
    // Not `request.retries`: plugin-retry then retries every failure, 403 and 404 included.
    retry: { retries: MAX_RETRIES, doNotRetry: NOT_RETRIED_BY_BACKOFF },
    throttle: {
      // Pacing deletions is the deletion module's job: the plugin's default write group
      // (one write a second) would cap them at a third of what GitHub allows.
      write: new Bottleneck.Group({ maxConcurrent: 10 }),
      onRateLimit: (retryAfter: number, request: RequestInfo, _octokit: unknown, count: number) =>
        shouldWait(retryAfter, count, reporter, `API rate limit used up on ${describe(request)}`),
      onSecondaryRateLimit: (
        retryAfter: number,
        request: RequestInfo,
        _octokit: unknown,
        count: number,
      ) =>
        shouldWait(retryAfter, count, reporter, `Secondary rate limit hit on ${describe(request)}`),
    },
  })
  octokit.hook.wrap('request', async (request, options) => {
    for (let count = 0; ; count++) {
      try {
        return await request(options)
      } catch (error) {
        const wait = isHttpError(error) ? unrecognisedRetryAfter(error) : undefined
        const what = `HTTP ${(error as HttpError).status} on ${describe(options)}`
        if (wait === undefined || !shouldWait(wait, count, reporter, what)) throw error
        await clock.sleep(wait * 1000)
      }
    }
  })
  return octokit
}

/**
 * A fetch whose answer, body included, must arrive within `deadlineMs`. The body is read here,
 * so a stall while reading it fails the fetch itself, which Octokit turns into a 500 that
 * plugin-retry retries like any other transient failure.
 */
function withDeadline(base: typeof fetch, deadlineMs: number): typeof fetch {
  return async (input, init) => {
    const deadline = AbortSignal.timeout(deadlineMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline
    try {
      const response = await base(input, { ...init, signal })
      const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer()
      const { status, statusText, headers } = response
      return new Response(body, { status, statusText, headers })
    } catch (error) {
      if (!deadline.aborted) throw error
      throw new Error(`no complete answer within ${deadlineMs / 1000} s`, { cause: error })
    }
  }
}

/** Statuses whose Response may not carry a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

function describe(request: RequestInfo): string {
  return `${request.method} ${request.url}`
}

function shouldWait(seconds: number, count: number, reporter: Reporter, what: string): boolean {
  if (seconds > MAX_RATE_LIMIT_WAIT_SECONDS || count >= MAX_RETRIES) return false
  reporter.warning(`${what}; waiting ${seconds} s (retry ${count + 1} of ${MAX_RETRIES})`)
  return true
}

/**
 * Seconds to wait for a 403/429 that plugin-throttling does not act on: it knows only GitHub's
 * "secondary rate limit" wording and `x-ratelimit-remaining: 0`.
 */
function unrecognisedRetryAfter(error: HttpError): number | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined
  const headers = error.response?.headers ?? {}
  if (/secondary rate/i.test(error.message) || headers['x-ratelimit-remaining'] === '0') {
    return undefined
  }
  const seconds = Number(headers['retry-after'])
  if (headers['retry-after'] !== undefined && Number.isFinite(seconds) && seconds >= 0) {
    return seconds
  }
  return error.status === 429 ? UNSTATED_WAIT_SECONDS : undefined
}
