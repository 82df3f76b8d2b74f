/** What the benchmarks share: child processes, the emulator serving a zip, a silent reporter. */
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { runnerStorage } from '../src/transport/storage.js'
import type { ArtifactClient } from '../src/core/api.js'
import type { Reporter } from '../src/core/reporter.js'
import { GitHubSession } from '../src/github/session.js'
import type { Emulator, SeedArtifact } from '../test/support/emulator/index.js'
import { sha256File } from './large-zip.js'

/** Runs a command to its end, its output discarded but for errors. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env },
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`)),
    )
  })
}

/** An artifact served from the zip file on disk, a range at a time, with its true digest. */
export async function zipArtifact(zip: string, name: string): Promise<SeedArtifact> {
  return {
    name,
    digest: `sha256:${await sha256File(zip)}`,
    content: {
      size: (await stat(zip)).size,
      stream: (start, end) => createReadStream(zip, { start, end }),
    },
  }
}

export const quietReporter: Reporter = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  mask: () => undefined,
  word: (setting) => setting,
  progress: () => undefined,
  approveDeletion: () => Promise.resolve(true),
}

/** The product's API client for the emulator's repository, saying nothing. */
export function quietClient(emulator: Emulator): ArtifactClient {
  const connection = { token: emulator.token, apiUrl: emulator.apiUrl }
  const session = new GitHubSession(connection, runnerStorage(), quietReporter)
  return session.repository({ owner: emulator.owner, repo: emulator.repo })
}
