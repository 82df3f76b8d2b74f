import { afterEach, beforeEach } from '@jest/globals'
import { mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runnerStorage } from '../../src/transport/storage.js'
import type { ArtifactClient } from '../../src/core/api.js'
import type { Clock } from '../../src/core/clock.js'
import type { Progress, Reporter } from '../../src/core/reporter.js'
import { GitHubSession } from '../../src/github/session.js'
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type SeedRun,
} from './emulator/index.js'

export type StartEmulator = (
  runs: SeedRun[],
  options?: Partial<EmulatorOptions>,
) => Promise<Emulator>

/** Starts an emulator per test with the given runs, and closes it after each test. */
export function useEmulator(): StartEmulator {
  let current: Emulator | undefined
  afterEach(async () => {
    await current?.close()
    current = undefined
  })
  return async (runs, options = {}) => {
    current = await startEmulator({ seed: { runs }, ...options })
    return current
  }
}

/** The product's own API session, pointed at the emulator. */
export function emulatorSession(
  server: Emulator,
  reporter: Reporter = recordingReporter(),
  options: { token?: string; clock?: Clock; requestDeadlineMs?: number } = {},
): GitHubSession {
  const connection = {
    token: options.token ?? server.token,
    apiUrl: server.apiUrl,
    requestDeadlineMs: options.requestDeadlineMs,
  }
  return new GitHubSession(connection, runnerStorage(), reporter, options.clock)
}

/** The product's API client for the emulator's repository. */
export function emulatorClient(
  server: Emulator,
  reporter: Reporter = recordingReporter(),
  token = server.token,
): ArtifactClient {
  return emulatorSession(server, reporter, { token }).repository({
    owner: server.owner,
    repo: server.repo,
  })
}

/**
 * A fresh temporary folder for each test (its `path`), removed after it. The path is the real
 * one, as a process started in it sees its current folder: on macOS the temporary folder is
 * reached through a symbolic link (`/var` is `/private/var`).
 */
export function useScratchFolder(prefix: string): { readonly path: string } {
  const folder = { path: '' }
  beforeEach(async () => {
    folder.path = await realpath(await mkdtemp(path.join(tmpdir(), prefix)))
  })
  afterEach(async () => {
    await rm(folder.path, { recursive: true, force: true })
  })
  return folder
}

const DAY_MS = 86_400_000

export function daysAgo(days: number): string {
  return new Date(Date.now() - days * DAY_MS).toISOString()
}

/** Every file under `root` with its content; folders end in '/', symbolic links read '(link)'. */
export async function tree(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {}
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name)
    const relative = path.relative(root, full).split(path.sep).join('/')
    if (entry.isDirectory()) found[`${relative}/`] = ''
    else if (entry.isSymbolicLink()) found[relative] = '(link)'
    else found[relative] = await readFile(full, 'utf8')
  }
  return found
}

/** A reporter that keeps what it was told, for tests of the core modules. */
export interface RecordingReporter extends Reporter {
  infos: string[]
  warnings: string[]
  debugs: string[]
  masked: string[]
  progressed: Progress[]
}

export function recordingReporter(): RecordingReporter {
  const recorded = {
    infos: [] as string[],
    warnings: [] as string[],
    debugs: [] as string[],
    masked: [] as string[],
    progressed: [] as Progress[],
  }
  return {
    ...recorded,
    info: (message) => recorded.infos.push(message),
    warning: (message) => recorded.warnings.push(message),
    debug: (message) => recorded.debugs.push(message),
    mask: (secret) => recorded.masked.push(secret),
    word: (setting, value) => (value === undefined ? setting : `${setting}: ${value}`),
    progress: (progress) => recorded.progressed.push(progress),
    approveDeletion: () => Promise.resolve(true),
  }
}
