import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { formatBytes } from '../../src/core/units.js'
import { plainText, runInTerminal } from '../support/cli.js'
import type { Emulator, SeedRun } from '../support/emulator/index.js'
import { tree, useEmulator, useScratchFolder } from '../support/fixtures.js'

/** The pseudo-terminal comes from util-linux `script`, which macOS and Windows do not have. */
const describeInTerminal = process.platform === 'linux' ? describe : describe.skip

const start = useEmulator()
const scratch = useScratchFolder('cli-terminal-')

function terminalEnv(server: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: scratch.path,
    TERM: 'xterm-256color',
    GITHUB_API_URL: server.apiUrl,
    GITHUB_TOKEN: server.token,
    GITHUB_REPOSITORY: `${server.owner}/${server.repo}`,
    ...extra,
  }
}

/** `count` runs of one artifact each, `name-1` the oldest. */
function runsOf(name: string, count: number): SeedRun[] {
  return Array.from({ length: count }, (_, i) => ({
    workflow: 'build.yml',
    artifacts: [{ name, files: { 'n.txt': `${name} ${i + 1}` } }],
  }))
}

const PROMPT = '[y/N]'

describeInTerminal('manage-artifacts delete in a terminal', () => {
  it.each(['y', 'yes', 'Y'])(
    'shows the count and total size, asks, and deletes on %j',
    async (answer) => {
      const server = await start([...runsOf('old', 3), ...runsOf('keep', 1)])
      const bytes = server
        .artifacts()
        .filter((a) => a.name === 'old')
        .reduce((sum, a) => sum + a.sizeInBytes, 0)

      const result = await runInTerminal(['delete', '--name', 'old'], {
        env: terminalEnv(server),
        cwd: scratch.path,
        answer: { when: PROMPT, type: answer },
      })

      const screen = plainText(result.screen)
      expect(result.exitCode).toBe(0)
      expect(screen).toContain(
        `About to delete 3 artifacts, ${formatBytes(bytes)}, of octo-org/octo-repo:`,
      )
      expect(screen).toContain('Delete 3 artifacts? [y/N]')
      expect(server.artifacts().map((a) => a.name)).toEqual(['keep'])
      expect(screen).toContain(`3 artifacts, ${formatBytes(bytes)}, deleted`)
    },
  )

  it.each(['n', '', 'sure'])('deletes nothing and exits 1 on %j', async (answer) => {
    const server = await start(runsOf('old', 3))

    const result = await runInTerminal(['delete', '--name', 'old'], {
      env: terminalEnv(server),
      cwd: scratch.path,
      answer: { when: PROMPT, type: answer },
    })

    expect(result.exitCode).toBe(1)
    expect(plainText(result.screen)).toContain('Deletion not confirmed: nothing was deleted')
    expect(server.artifacts()).toHaveLength(3)
    expect(server.requests.filter((r) => r.method === 'DELETE')).toEqual([])
  })

  it('refuses with exit 2 and deletes nothing when standard error, where the question would show, is not a terminal', async () => {
    const server = await start(runsOf('old', 3))
    const log = path.join(scratch.path, 'stderr.log')

    const result = await runInTerminal(['delete', '--name', 'old'], {
      env: terminalEnv(server),
      cwd: scratch.path,
      stderrFile: log,
      answer: { when: '', type: 'y' },
    })

    expect(result.exitCode).toBe(2)
    expect(await readFile(log, 'utf8')).toContain(
      'delete asks for confirmation, and standard error is not a terminal: nothing was deleted',
    )
    expect(server.artifacts()).toHaveLength(3)
    expect(server.requests).toEqual([])
  })

  it('over an owner glob names the repository of each artifact it asks about', async () => {
    const repositories = ['tools', 'web'].map((name) => ({
      owner: 'octo-org',
      name,
      runs: runsOf(`${name}-build`, 1),
    }))
    const server = await start([], { seed: { runs: [], repositories } })
    const [tools] = server.artifactsOf('octo-org/tools')

    const result = await runInTerminal(
      ['delete', '--repository', 'octo-org/*', '--name', 'tools-*'],
      { env: terminalEnv(server), cwd: scratch.path, answer: { when: PROMPT, type: 'n' } },
    )

    const screen = plainText(result.screen)
    expect(screen).toContain('About to delete 1 artifact')
    expect(screen).toContain(`  octo-org/tools: tools-build (id ${tools.id},`)
    expect(result.exitCode).toBe(1)
    expect(server.artifactsOf('octo-org/tools')).toHaveLength(1)
  })

  it('asks nothing with --yes or --dry-run', async () => {
    const server = await start(runsOf('old', 3))
    const env = terminalEnv(server)

    const dryRun = await runInTerminal(['delete', '--name', 'old', '--dry-run'], {
      env,
      cwd: scratch.path,
    })
    expect(server.artifacts()).toHaveLength(3)
    const yes = await runInTerminal(['delete', '--name', 'old', '--yes'], {
      env,
      cwd: scratch.path,
    })

    expect([dryRun.exitCode, yes.exitCode]).toEqual([0, 0])
    expect(dryRun.screen + yes.screen).not.toContain(PROMPT)
    expect(server.artifacts()).toEqual([])
  })

  it('shows its progress: deleted of total, and the pace held', async () => {
    const server = await start(runsOf('old', 8))

    const result = await runInTerminal(['delete', '--name', 'old', '--yes'], {
      env: terminalEnv(server),
      cwd: scratch.path,
    })

    expect(result.exitCode).toBe(0)
    expect(plainText(result.screen)).toMatch(/Deleting .* 8 of 8 deleted · \d+ a minute/)
  })
})

describeInTerminal('manage-artifacts download in a terminal', () => {
  it('shows bytes done of the total, the rate and the time left, then the table', async () => {
    const size = 4 << 20
    const server = await start(
      [
        {
          workflow: 'build.yml',
          artifacts: [{ name: 'big', files: { 'data.bin': randomBytes(size) } }],
        },
      ],
      // Slow enough that the bar is drawn several times.
      { storageLink: { bytesPerSecond: 2 << 20 } },
    )
    const zipBytes = server.artifacts()[0].sizeInBytes

    const result = await runInTerminal(['download', '--name', 'big', '--path', 'out'], {
      env: terminalEnv(server),
      cwd: scratch.path,
    })

    const screen = plainText(result.screen)
    expect(result.exitCode).toBe(0)
    expect(screen).toMatch(
      /Downloading .* of \d+(\.\d+)? [KM]B · \d+(\.\d+)? [KM]?B\/s · (\d+ s left|starting)/,
    )
    expect(screen).toMatch(/Downloading .* of \d+(\.\d+)? MB · .* · \d+ s left/)
    expect(screen).toMatch(/Downloading .* (\S+ [KM]?B) of \1 /)
    expect(screen).toContain('NAME')
    // Redrawn as bytes arrive, not only once at the end.
    const states = new Set(screen.match(/\S+ [KM]?B of /g))
    expect(states.size).toBeGreaterThan(1)
    expect(Object.keys(await tree(path.join(scratch.path, 'out')))).toEqual(['data.bin'])
    expect(zipBytes).toBeGreaterThan(0)
  })

  it('colours warnings in a terminal, and not with NO_COLOR', async () => {
    const server = await start([
      { workflow: 'build.yml', fromFork: true, artifacts: [{ name: 'dist' }] },
    ])
    const run = (extra: Record<string, string>) =>
      runInTerminal(['download', '--name', 'dist'], {
        env: terminalEnv(server, extra),
        cwd: scratch.path,
      })

    const coloured = await run({})
    const plain = await run({ NO_COLOR: '1' })

    expect(coloured.screen).toMatch(/\x1b\[33m\x1b\[1mwarning:/)
    expect(plain.screen).toContain('warning: Skipped run')
    expect(plain.screen).not.toMatch(/\x1b\[3\dm/)
  })
})
