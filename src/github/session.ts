import type {
  ApiSession,
  ArtifactClient,
  RateLimitState,
  RepositoryInfo,
  StorageGet,
} from '../core/api.js'
import { systemClock, type Clock } from '../core/clock.js'
import { limiter } from '../core/concurrency.js'
import {
  deletePacing,
  Pacer,
  READ_POINTS,
  SecondaryWindow,
  secondaryPoints,
  WRITE_POINTS,
} from '../core/delete/pacing.js'
import { isHttpError } from '../core/errors.js'
import type { Reporter } from '../core/reporter.js'
import type { Repository } from '../core/request.js'
import { RestArtifactClient } from './client.js'
import { describeRepository, listOwnerRepositories } from './owners.js'
import { createOctokit, type Connection, type Octokit } from './octokit.js'

/** API requests in flight at once for a token: GitHub allows 100, shared by everything it does. */
const CONCURRENT_REQUESTS = 16

/**
 * One token's session: one Octokit (so one throttling state), the rate limit its answers report,
 * one window of secondary-limit points and one pacing of deletions, shared by the clients of
 * every repository it hands out, since GitHub counts both limits per token.
 */
export class GitHubSession implements ApiSession {
  readonly deletions: Pacer
  private readonly octokit: Octokit
  private latestRateLimit: RateLimitState | undefined

  constructor(
    connection: Connection,
    readonly storage: StorageGet,
    private readonly reporter: Reporter,
    clock: Clock = systemClock,
  ) {
    reporter.mask(connection.token)
    this.octokit = createOctokit(connection, reporter, clock)
    this.deletions = new Pacer(deletePacing, clock)
    const gate = limiter(CONCURRENT_REQUESTS)
    const secondary = new SecondaryWindow(clock)
    this.octokit.hook.wrap('request', (request, options) =>
      gate(async () => {
        // Counted as it leaves, past the gate, so the window sees what the server will see.
        const points = secondaryPoints(options.method)
        await secondary.admit(points)
        // Reads (the listing before deletions, first of all) use the budget the pacing shares
        // out: a DELETE start stands for WRITE_POINTS.
        if (points === READ_POINTS) this.deletions.spend(READ_POINTS / WRITE_POINTS)
        return request(options)
      }),
    )

    this.octokit.hook.after('request', (response) => this.noteRateLimit(response.headers))
    this.octokit.hook.error('request', (error) => {
      if (isHttpError(error) && error.response) this.noteRateLimit(error.response.headers)
      throw error
    })
  }

  repository(repository: Repository): ArtifactClient {
    return new RestArtifactClient(this.octokit, repository, this.reporter)
  }

  describeRepository(repository: Repository): Promise<RepositoryInfo> {
    return describeRepository(this.octokit, repository)
  }

  ownerRepositories(owner: string): Promise<RepositoryInfo[]> {
    return listOwnerRepositories(this.octokit, owner)
  }

  rateLimit(): RateLimitState | undefined {
    return this.latestRateLimit
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
