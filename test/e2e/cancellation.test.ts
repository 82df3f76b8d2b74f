import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { mkdir, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { postBundle, runAction, type ActionResult } from '../support/action.js'
import type { Emulator } from '../support/emulator/index.js'
import { tree, useEmulator, useScratchFolder } from '../support/fixtures.js'

const start = useEmulator()
const scratch = useScratchFolder('cancellation-')
let workspace: string

beforeEach(async () => {
  workspace = path.join(scratch.path, 'workspace')
  await mkdir(workspace)
})

const RUN = 8_100

/** Temporary files and folders in the workspace, with their sizes. */
async function halfDone(): Promise<{ name: string; size: number }[]> {
  const names = (await readdir(workspace)).filter((name) => name.includes('.partial-'))
  const found = await Promise.all(
    // A staging folder may be moved into place between the listing and its stat.
    names.map(async (name) => ({
      name,
      size: (await statIfExists(path.join(workspace, name)))?.size,
    })),
  )
  return found.flatMap(({ name, size }) => (size === undefined ? [] : [{ name, size }]))
}

/** The post step, as the runner runs it at the end of the job with what the main step saved. */
function runPostStep(server: Emulator, main: ActionResult): Promise<ActionResult> {
  return runAction({
    inputs: {},
    emulator: server,
    workspace,
    bundle: postBundle,
    state: main.state,
  })
}

function statIfExists(file: string): Promise<Stats | undefined> {
  return stat(file).catch(() => undefined)
}

describe('a cancelled download', () => {
  it('leaves nothing half-done once the post step has run, and keeps what finished', async () => {
    const hour = 3_600_000
    const server = await start(
      [
        {
          id: RUN,
          workflow: 'build.yml',
          artifacts: [
            {
              name: 'finished',
              files: { 'report.txt': 'done' },
              createdAt: new Date(Date.now() - 2 * hour).toISOString(),
            },
            // Incompressible, so the slow link keeps it in flight for about half a minute.
            {
              name: 'in-flight',
              files: { 'big.bin': randomBytes(2 * 1024 * 1024) },
              createdAt: new Date(Date.now() - hour).toISOString(),
            },
          ],
        },
      ],
      { storageLink: { bytesPerSecond: 64 * 1024 } },
    )

    const main = await runAction({
      inputs: { operation: 'download', 'run-id': String(RUN) },
      emulator: server,
      workspace,
      // Killed once the older artifact is in place and the newer one is partly on disk.
      killWhen: async () =>
        (await statIfExists(path.join(workspace, 'finished', 'report.txt'))) !== undefined &&
        (await halfDone()).some(({ name, size }) => name.startsWith('.in-flight.') && size > 0),
    })

    expect(main.killed).toBe(true)
    // The newer one's bytes in flight (and, while it is, the older one's downloaded archive).
    const leftBehind = (await halfDone()).map(({ name }) => name)
    expect(leftBehind).toContainEqual(expect.stringMatching(/^\.in-flight\.partial-/))
    for (const name of leftBehind) expect(name).toMatch(/^\.(finished|in-flight)\.partial-/)

    const post = await runPostStep(server, main)

    expect(post.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({ 'finished/': '', 'finished/report.txt': 'done' })
    for (const name of leftBehind) {
      expect(post.stdout).toContain(
        `Removed ${path.join(workspace, name)}, left half-done by the download`,
      )
    }
  })

  it('has nothing to remove after a download that finished', async () => {
    const server = await start([
      { id: RUN, workflow: 'build.yml', artifacts: [{ name: 'dist', files: { 'a.txt': 'a' } }] },
    ])
    const main = await runAction({
      inputs: { operation: 'download', 'run-id': String(RUN), name: 'dist' },
      emulator: server,
      workspace,
    })
    expect(main.exitCode).toBe(0)

    const post = await runPostStep(server, main)

    expect(post.exitCode).toBe(0)
    expect(post.stdout).not.toContain('Removed')
    expect(await tree(workspace)).toEqual({ 'a.txt': 'a' })
  })
})
