import { createApiHandler } from './api-server.js'
import { FaultList } from './faults.js'
import { listenOnLoopback, serve, stopServer } from './http.js'
import { RateLimiter } from './rate-limits.js'
import { UrlSigner } from './signed-urls.js'
import { describeArtifact, describeRun, RepositoryState } from './state.js'
import { createStorageHandler } from './storage-server.js'
import type { Emulator, EmulatorOptions, LoggedRequest, RequestListener } from './types.js'

export type {
  ArtifactShape,
  EmulatedArtifact,
  EmulatedRun,
  Emulator,
  EmulatorOptions,
  Fault,
  LoggedRequest,
  RateLimitOptions,
  RequestListener,
  Seed,
  SeedArtifact,
  SeedRun,
  StorageCut,
  StorageLink,
} from './types.js'
export { buildZip, type ZipEntry } from '../zip.js'
export { fetchApi, repoPath } from './fetch-api.js'

export const DEFAULT_TOKEN = 'ghs_emulatortoken'
const DEFAULT_OWNER = 'octo-org'
const DEFAULT_REPO = 'octo-repo'
const REPOSITORY_ID = 1296269
const DEFAULT_SIGNED_URL_TTL_MS = 60_000

/**
 * Starts a loopback GitHub REST API (artifacts, workflow runs, workflows) and the blob storage
 * its download endpoint redirects to, seeded with `options.seed`.
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const api = await listenOnLoopback()
  const storage = await listenOnLoopback()
  const pathPrefix = normalizePrefix(options.apiPathPrefix)
  const context = {
    apiUrl: `${api.origin}${pathPrefix}`,
    owner: options.seed.owner ?? DEFAULT_OWNER,
    repo: options.seed.repo ?? DEFAULT_REPO,
    repositoryId: REPOSITORY_ID,
  }
  const token = options.token ?? DEFAULT_TOKEN
  const state = new RepositoryState(options.seed.runs)
  const signer = new UrlSigner(storage.origin, options.signedUrlTtlMs ?? DEFAULT_SIGNED_URL_TTL_MS)
  const faults = new FaultList()
  const limiter = new RateLimiter(options.rateLimits)
  const settings = {
    latencyMs: options.latencyMs ?? 0,
    storageLatencyMs: options.storageLatencyMs ?? 0,
    storageLink: { ...options.storageLink },
    forbidDelete: options.forbidDelete ?? false,
    artifactShape: options.artifactShape ?? 'github',
  }
  const requests: LoggedRequest[] = []
  const storageRequests: LoggedRequest[] = []
  const listeners: RequestListener[] = []

  serve(
    api.server,
    createApiHandler({
      state,
      context,
      origin: api.origin,
      pathPrefix,
      token,
      signer,
      faults,
      limiter,
      settings,
      log: requests,
      listeners,
    }),
  )
  serve(
    storage.server,
    createStorageHandler({ state, signer, faults, settings, log: storageRequests }),
  )

  return {
    ...context,
    storageUrl: storage.origin,
    token,
    requests,
    storageRequests,
    artifacts: () => state.artifacts().map(describeArtifact),
    runs: () => state.runs().map(describeRun),
    addRun: (run) => state.addRun(run),
    onRequest: (listener) => listeners.push(listener),
    addFault: (fault) => faults.add(fault),
    setLatency: (ms) => (settings.latencyMs = ms),
    setStorageLink: (link) => (settings.storageLink = { ...link }),
    storageBytesServed: () =>
      storageRequests.reduce((total, request) => total + (request.bytesSent ?? 0), 0),
    setRateLimits: (rateLimits) => limiter.configure(rateLimits),
    artifactBytes: (id) => state.artifact(id)?.body.bytes,
    close: async () => {
      await Promise.all([stopServer(api.server), stopServer(storage.server)])
    },
  }
}

/** '' or '/api/v3' (leading slash, no trailing one). */
function normalizePrefix(prefix = ''): string {
  const trimmed = prefix.replace(/\/+$/, '')
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}
