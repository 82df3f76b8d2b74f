import { createApiHandler } from './api-server.js'
import { FaultList } from './faults.js'
import { listenOnLoopback, serve, stopServer } from './http.js'
import type { Server } from 'node:http'
import { Repositories, type HostedRepository } from './repositories.js'
import { UrlSigner } from './signed-urls.js'
import { describeArtifact, describeRun } from './state.js'
import { createStorageHandler } from './storage-server.js'
import { Tokens } from './tokens.js'
import type { Emulator, EmulatorOptions, LoggedRequest, RequestListener, Seed } from './types.js'

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
  SeedRepository,
  SeedRun,
  StorageCut,
  StorageLink,
  TokenOptions,
} from './types.js'
export { buildZip, type ZipEntry } from '../zip.js'
export { fetchApi, repoPath } from './fetch-api.js'

export const DEFAULT_TOKEN = 'ghs_emulatortoken'
const DEFAULT_OWNER = 'octo-org'
const DEFAULT_REPO = 'octo-repo'
const REPOSITORY_ID = 1296269
const DEFAULT_SIGNED_URL_TTL_MS = 60_000

/**
 * Starts a loopback GitHub REST API (repositories, artifacts, workflow runs, workflows) and the
 * blob storage its download endpoint redirects to, seeded with `options.seed`.
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const api = await listenOnLoopback()
  const storage = await listenOnLoopback()
  const pathPrefix = normalizePrefix(options.apiPathPrefix)
  const repositories = new Repositories(`${api.origin}${pathPrefix}`, options.seed.users)
  const { context, state } = await seedOrStop(repositories, options.seed, [api, storage])
  const token = options.token ?? DEFAULT_TOKEN
  const tokens = new Tokens(token, options.rateLimits, options.tokens)
  const signer = new UrlSigner(storage.origin, options.signedUrlTtlMs ?? DEFAULT_SIGNED_URL_TTL_MS)
  const faults = new FaultList()
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
      repositories,
      origin: api.origin,
      pathPrefix,
      tokens,
      signer,
      faults,
      settings,
      log: requests,
      listeners,
    }),
  )
  serve(
    storage.server,
    createStorageHandler({ repositories, signer, faults, settings, log: storageRequests }),
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
    artifactsOf: (fullName) => repositories.named(fullName).state.artifacts().map(describeArtifact),
    runsOf: (fullName) => repositories.named(fullName).state.runs().map(describeRun),
    addRunTo: (fullName, run) => repositories.named(fullName).state.addRun(run),
    repositoryIdOf: (fullName) => repositories.named(fullName).id,
    onRequest: (listener) => listeners.push(listener),
    addFault: (fault) => faults.add(fault),
    setLatency: (ms) => (settings.latencyMs = ms),
    setStorageLink: (link) => (settings.storageLink = { ...link }),
    storageBytesServed: () =>
      storageRequests.reduce((total, request) => total + (request.bytesSent ?? 0), 0),
    setRateLimits: (rateLimits, tokenLabel) =>
      (tokenLabel === undefined
        ? tokens.defaultGrant
        : tokens.labelled(tokenLabel)
      ).limiter.configure(rateLimits),
    artifactBytes: (id) => repositories.artifact(id)?.body.bytes,
    close: async () => {
      await Promise.all([stopServer(api.server), stopServer(storage.server)])
    },
  }
}

/** The default repository first; a seed that cannot be honoured stops the servers and throws. */
async function seedOrStop(
  repositories: Repositories,
  seed: Seed,
  listening: { server: Server }[],
): Promise<HostedRepository> {
  try {
    const home = repositories.add(
      { owner: seed.owner ?? DEFAULT_OWNER, name: seed.repo ?? DEFAULT_REPO, runs: seed.runs },
      REPOSITORY_ID,
    )
    for (const repository of seed.repositories ?? []) repositories.add(repository)
    return home
  } catch (error) {
    await Promise.all(listening.map(({ server }) => stopServer(server)))
    throw error
  }
}

/** '' or '/api/v3' (leading slash, no trailing one). */
function normalizePrefix(prefix = ''): string {
  const trimmed = prefix.replace(/\/+$/, '')
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}
