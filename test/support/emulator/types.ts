import type { Readable } from 'node:stream'

export interface SeedArtifact {
  /** Auto-assigned increasing ids when omitted. */
  id?: number
  name: string
  /** ISO time, kept verbatim; default: the run's createdAt. */
  createdAt?: string
  /** Default: createdAt + 90 days (for an expired artifact, no later than now). */
  expiresAt?: string
  /** An expired artifact's download answers 410. */
  expired?: boolean
  /** Zip built from these (deflate); default `{ 'README.txt': name }`. */
  files?: Record<string, string | Buffer>
  /** Exact archive bytes instead of `files` (crafted or hostile zips). */
  zip?: Buffer
  /**
   * A huge body streamed without buffering (benchmarks); size_in_bytes = size. A `stream` that
   * declares parameters is given the inclusive byte positions to produce (as `createReadStream`'s
   * `start` and `end` options are), so a ranged request reads only its part; one that declares
   * none produces the whole body each time, and storage skips to the part asked for.
   */
  content?: {
    size: number
    stream: (start: number, end: number) => NodeJS.ReadableStream | Readable
  }
  /**
   * A file uploaded with `archive: false`: storage answers with this content type (default
   * application/octet-stream) and `Content-Disposition: attachment; filename="<fileName>"`.
   */
  rawFile?: { fileName: string; data: Buffer; contentType?: string }
  /** Default: 'sha256:' + hex SHA-256 of the served bytes when known up front; null omits it. */
  digest?: string | null
  /** Default: the served byte count. */
  sizeInBytes?: number
}

export interface SeedRun {
  /** Auto-assigned when omitted. */
  id?: number
  /** Workflow file name, e.g. 'build.yml'; workflows get ids automatically. */
  workflow: string
  /** head_branch, default 'main'. */
  branch?: string
  /** head_sha, default a deterministic 40-hex string. */
  sha?: string
  /** Default 'push'. */
  event?: string
  /** Default 'completed'. */
  status?: string
  /** Default 'success'. */
  conclusion?: string | null
  /** ISO time; default: increasing timestamps in seed order, the last ones about now. */
  createdAt?: string
  /** The run's head repository is a fork (head_repository.id differs from repository.id). */
  fromFork?: boolean
  /**
   * The run came from a fork since deleted (implies fromFork): GitHub then answers the run's
   * `head_repository` as null (github/rest-api-description#1586), and so are its artifacts'
   * `head_repository_id` and its pull request's `head.repo`.
   */
  forkDeleted?: boolean
  /** pull_requests[].number */
  pullRequests?: number[]
  artifacts?: SeedArtifact[]
}

/** A repository beside the default one; its owner is an organisation unless listed in `users`. */
export interface SeedRepository {
  owner: string
  name: string
  /** Archived repositories are read-only: writes answer 403. */
  archived?: boolean
  /** Private repositories are hidden from tokens not granted them (404). */
  private?: boolean
  runs?: SeedRun[]
}

/** Default owner/repo: 'octo-org' / 'octo-repo'. */
export interface Seed {
  owner?: string
  repo?: string
  runs: SeedRun[]
  /** More repositories, of the default owner or of others; names are unique case-insensitively. */
  repositories?: SeedRepository[]
  /** Owners that are user accounts; every other owner is an organisation. */
  users?: string[]
}

export interface RateLimitOptions {
  /**
   * Default 5000, 5000, 3600. Every authenticated API request (not storage) uses one; at 0 the
   * answer is 403 with x-ratelimit-remaining: 0 and "API rate limit exceeded for ...". The
   * window renews (remaining back to limit) once its reset time has passed.
   */
  primary?: { limit?: number; remaining?: number; resetInSeconds?: number }
  /**
   * GET/HEAD cost 1 point, DELETE (and other writes) 5, counted over a sliding window across all
   * endpoints; over the budget: 403 with retry-after and GitHub's "secondary rate limit" message.
   */
  secondary?: {
    pointsPerWindow: number
    windowMs: number
    /**
     * Once over the budget, refuse every request for this long, sending the seconds left as
     * retry-after (GitHub may keep a client that goes on sending blocked for longer). Default:
     * the wait until the window has room again.
     */
    blockSeconds?: number
  }
}

/** A token beside the default one, with its own rate limits. */
export interface TokenOptions {
  /** The secret sent as 'authorization: token X' or 'Bearer X'. */
  token: string
  /** Names the token in the request log, so tests need not compare secrets. */
  label: string
  /** Its own primary and secondary limits, counted across every repository it touches. */
  rateLimits?: RateLimitOptions
  /**
   * 'owner/name' of the repositories it is granted, like an installation token or GITHUB_TOKEN
   * (one repository); default every repository. Others answer 404 when private; when public,
   * reads succeed and writes answer 403 "Resource not accessible by integration".
   */
  repositories?: string[]
}

export interface Fault {
  /** Default: any method. */
  method?: string
  /** Matched against the request path (with any apiPathPrefix) without the query. */
  path: RegExp
  /** e.g. 500, 502, 503; or 429/403 with retryAfter. */
  status?: number
  /** Seconds, sent as retry-after. */
  retryAfter?: number
  /** Destroy the socket instead of answering. */
  reset?: 'connection'
  /** Storage only: the same as `cut: { afterBytes: truncate, ending: 'fin' }`. */
  truncate?: number
  /** Storage only: the body stops short of the length announced (see StorageCut). */
  cut?: StorageCut
  /** Storage only: a Range request is answered 200 with the whole blob. */
  ignoreRange?: boolean
  /**
   * Storage only: a Range request is answered 206 with the part this many bytes later (earlier
   * when negative) than asked, clipped to the blob; Content-Range names the part sent.
   */
  shiftRange?: number
  /**
   * API only: hold the answer this long (Infinity: until the client gives up), then answer as
   * without the fault unless `status` is given too. Tests a client's request deadline.
   */
  stallMs?: number
  /**
   * With stallMs: send the status line and headers at once and hold only the body, to test a
   * deadline on reading the body rather than on receiving the headers.
   */
  stallAfterHeaders?: boolean
  /** How many matching requests it hits (default 1). */
  times?: number
  /** Default 'api'. */
  target?: 'api' | 'storage'
}

/** Where a storage body stops short and how its connection ends. */
export type StorageCut = ({ afterBytes: number } | { afterFraction: number }) & {
  /**
   * 'fin': a graceful close after the bytes sent; 'rst': a TCP reset (bytes still in flight may
   * be lost, as with a real reset); 'stall': nothing more is sent and the connection stays open.
   */
  ending: 'fin' | 'rst' | 'stall'
}

/** The network between a runner and the storage host. */
export interface StorageLink {
  /**
   * Cap per connection (each response paces itself), so N parallel ranged downloads together
   * get N times this. Default: no cap.
   */
  bytesPerSecond?: number
  /** Waited before each storage answer's first byte (default 0). */
  roundTripMs?: number
}
/**
 * 'github' (default): artifacts as api.github.com answers them. 'ghes': as GitHub Enterprise
 * Server's documentation shows them, without `workflow_run` and `digest`.
 */
export type ArtifactShape = 'github' | 'ghes'

export interface EmulatorOptions {
  seed: Seed
  /**
   * Default 'ghs_emulatortoken'. API requests without 'authorization: token X' or 'Bearer X'
   * carrying this X or one of `tokens` answer 401 Bad credentials.
   */
  token?: string
  /** e.g. '/api/v3' to act like GitHub Enterprise Server; default ''. */
  apiPathPrefix?: string
  /** Added before every API answer (default 0). */
  latencyMs?: number
  /** Added before every storage answer (default 0). */
  storageLatencyMs?: number
  /** Default 60_000; storage answers 403 AuthenticationFailed for an expired signature. */
  signedUrlTtlMs?: number
  storageLink?: StorageLink
  rateLimits?: RateLimitOptions
  /** More tokens; `token` and `rateLimits` above describe the default one, labelled 'default'. */
  tokens?: TokenOptions[]
  /** DELETE answers 403 "Resource not accessible by integration" (token lacking actions: write). */
  forbidDelete?: boolean
  /** Default 'github'. */
  artifactShape?: ArtifactShape
}

export interface LoggedRequest {
  method: string
  /** As received (with any apiPathPrefix), without the query. */
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  /** The status answered; 0 while unanswered or when the connection was reset instead. */
  status: number
  /** Date.now() when received. */
  time: number
  /** The label of the token that made an API request; absent when it carried no known token. */
  token?: string
  /**
   * Storage only: the byte range asked for (inclusive, resolved against the blob's size); absent
   * when the request asked for the whole blob or its Range header is one storage ignores.
   */
  range?: { start: number; end: number }
  /** Storage only: blob body bytes written for this request so far. */
  bytesSent?: number
}

/** An artifact still on the server (not deleted). */
export interface EmulatedArtifact {
  id: number
  name: string
  runId: number
  createdAt: string
  expiresAt: string
  expired: boolean
  sizeInBytes: number
  digest: string | null
}

export interface EmulatedRun {
  id: number
  workflowId: number
  workflow: string
  branch: string
  sha: string
  event: string
  status: string
  conclusion: string | null
  createdAt: string
  fromFork: boolean
  forkDeleted: boolean
}

export type RequestListener = (request: LoggedRequest) => void | Promise<void>

export interface Emulator {
  /** What GITHUB_API_URL is set to: http://127.0.0.1:PORT, plus any apiPathPrefix. */
  apiUrl: string
  storageUrl: string
  token: string
  owner: string
  repo: string
  repositoryId: number
  /** Every API request, in order, with the status answered. */
  requests: LoggedRequest[]
  /** Every storage request, including its authorization header if one was (wrongly) sent. */
  storageRequests: LoggedRequest[]
  /** What is left on the server (not deleted), newest first. */
  artifacts(): EmulatedArtifact[]
  /** Every run, newest first. */
  runs(): EmulatedRun[]
  /** Adds a run while running (e.g. between page requests); its artifacts are the newest. */
  addRun(run: SeedRun): void
  /** What is left in the repository 'owner/name' (case-insensitive), newest first. */
  artifactsOf(fullName: string): EmulatedArtifact[]
  /** Every run of the repository 'owner/name', newest first. */
  runsOf(fullName: string): EmulatedRun[]
  /** addRun for the repository 'owner/name'. */
  addRunTo(fullName: string, run: SeedRun): void
  repositoryIdOf(fullName: string): number
  /** Called as each API request arrives, before it is answered (and awaited). */
  onRequest(listener: RequestListener): void
  addFault(fault: Fault): void
  setLatency(ms: number): void
  /** Replaces the storage link model; a new rate applies at once to bodies being sent. */
  setStorageLink(link: StorageLink): void
  /** Blob body bytes the storage host has written, over all requests. */
  storageBytesServed(): number
  /**
   * Replaces the parts given of the default token's limits, or of the token labelled
   * `tokenLabel`; a part left out keeps its current settings and counters.
   */
  setRateLimits(options: RateLimitOptions, tokenLabel?: string): void
  /** The exact bytes storage serves for an artifact (undefined for `content` streams). */
  artifactBytes(id: number): Buffer | undefined
  close(): Promise<void>
}
