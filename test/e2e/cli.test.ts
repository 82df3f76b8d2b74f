import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { formatBytes } from '../../src/core/units.js'
import { projectRoot } from '../support/action.js'
import { runCli, type CliResult } from '../support/cli.js'
import { fetchApi, repoPath, type Emulator, type SeedRun } from '../support/emulator/index.js'
import { daysAgo, tree, useEmulator, useScratchFolder } from '../support/fixtures.js'
import { useTunnelProxy } from '../support/proxy.js'

const notOnWindows = process.platform === 'win32' ? it.skip : it

const start = useEmulator()
const startProxy = useTunnelProxy()
const scratch = useScratchFolder('cli-e2e-')

/** Runs with no git repository, no `gh` and no token or repository unless given. */
function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: path.join(scratch.path, 'bin'), HOME: scratch.path, ...extra }
}

/** The environment of a user pointed at the emulator: its API, token and repository. */
function userEnv(server: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return bareEnv({
    PATH: process.env.PATH ?? '',
    GITHUB_API_URL: server.apiUrl,
    GITHUB_TOKEN: server.token,
    GITHUB_REPOSITORY: `${server.owner}/${server.repo}`,
    ...extra,
  })
}

function cli(server: Emulator, args: string[], extra: Record<string, string> = {}) {
  return runCli(args, { env: userEnv(server, extra), cwd: scratch.path })
}

function listed(result: CliResult): ArtifactRecord[] {
  return JSON.parse(result.stdout) as ArtifactRecord[]
}

const ids = (records: { id: number }[]): number[] => records.map((a) => a.id).sort((a, b) => a - b)
const serverIds = (server: Emulator): number[] => ids(server.artifacts())
const deletes = (server: Emulator): number =>
  server.requests.filter((r) => r.method === 'DELETE').length

function someRuns(): SeedRun[] {
  return [
    {
      id: 11,
      workflow: 'build.yml',
      branch: 'main',
      createdAt: daysAgo(30),
      artifacts: [
        { id: 101, name: 'dist', files: { 'app.js': 'old' } },
        { id: 102, name: 'coverage', files: { 'lcov.info': 'old' }, sizeInBytes: 5000 },
      ],
    },
    {
      id: 12,
      workflow: 'build.yml',
      branch: 'feature',
      event: 'pull_request',
      pullRequests: [7],
      createdAt: daysAgo(5),
      artifacts: [{ id: 103, name: 'dist', files: { 'app.js': 'feature' } }],
    },
    {
      id: 13,
      workflow: 'nightly.yml',
      event: 'schedule',
      conclusion: 'failure',
      createdAt: daysAgo(2),
      artifacts: [{ id: 104, name: 'report', files: { 'r.txt': 'nightly' } }],
    },
    {
      id: 14,
      workflow: 'build.yml',
      branch: 'main',
      createdAt: daysAgo(1),
      artifacts: [
        { id: 105, name: 'dist', files: { 'app.js': 'new' } },
        { id: 106, name: 'coverage', files: { 'lcov.info': 'new' }, sizeInBytes: 5000 },
      ],
    },
  ]
}

describe('manage-artifacts list', () => {
  it('--json prints exactly the artifacts the API answers, in the action output shape', async () => {
    const server = await start(someRuns())

    const result = await cli(server, ['list', '--json'])

    expect(result.exitCode).toBe(0)
    const answer = (await (
      await fetchApi(server, `${repoPath(server)}/actions/artifacts?per_page=100`)
    ).json()) as {
      artifacts: {
        id: number
        name: string
        size_in_bytes: number
        created_at: string
        expires_at: string
        expired: boolean
        digest: string
        workflow_run: { id: number; head_branch: string; head_sha: string }
      }[]
    }
    const fromApi = answer.artifacts.map((a) => ({
      repository: `${server.owner}/${server.repo}`,
      id: a.id,
      name: a.name,
      size_in_bytes: a.size_in_bytes,
      created_at: a.created_at,
      expires_at: a.expires_at,
      expired: a.expired,
      digest: a.digest,
      run_id: a.workflow_run.id,
      head_branch: a.workflow_run.head_branch,
      head_sha: a.workflow_run.head_sha,
    }))
    expect(listed(result)).toEqual(fromApi)
  })

  it('without --json prints a table and a totals line on standard output, and the log on standard error', async () => {
    const server = await start(someRuns())

    const result = await cli(server, ['list', '--name', 'coverage'])

    expect(result.exitCode).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0].split(/\s+/)).toEqual(['NAME', 'SIZE', 'CREATED', 'RUN', 'BRANCH', 'EXPIRED'])
    expect(lines.slice(1, 3).map((line) => line.split(/\s{2,}/)[0])).toEqual([
      'coverage',
      'coverage',
    ])
    expect(lines[1]).toMatch(/\b14\s+main\s+no$/)
    const bytes = server
      .artifacts()
      .filter((a) => a.name === 'coverage')
      .reduce((sum, a) => sum + a.sizeInBytes, 0)
    expect(lines[3]).toBe(`2 artifacts, ${formatBytes(bytes)}, listed`)
    expect(result.stderr).toContain("Listed 2 artifact(s) in octo-org/octo-repo, name 'coverage'")
    // A pipe gets no colours.
    expect(result.stdout + result.stderr).not.toContain('\x1b[')
  })

  it('selects by name and exclude (repeatable), run filters, and retention rules, as the action does', async () => {
    const server = await start(someRuns())
    const selects = async (...args: string[]) =>
      ids(listed(await cli(server, ['list', '--json', ...args])))

    expect(await selects('--name', 'dist', '--name', 'rep*')).toEqual([101, 103, 104, 105])
    expect(await selects('--name', '*', '--exclude', 'dist', '--exclude', '/^cov/')).toEqual([104])
    expect(await selects('--run-id', '14')).toEqual([105, 106])
    expect(await selects('--workflow', 'build.yml', '--branch', 'main')).toEqual([
      101, 102, 105, 106,
    ])
    expect(await selects('--event', 'pull_request', '--pull-request', '7')).toEqual([103])
    expect(await selects('--workflow-conclusion', 'failure')).toEqual([104])
    const sha = server.runs().find((run) => run.id === 12)?.sha ?? ''
    expect(await selects('--commit', sha.slice(0, 7))).toEqual([103])
    expect(await selects('--keep-latest', '1')).toEqual([101, 102, 103])
    expect(await selects('--older-than', '10d')).toEqual([101, 102])
    expect(await selects('--min-size', '1KB')).toEqual([102, 106])
  })

  it('--if-no-artifact-found decides whether an empty selection fails', async () => {
    const server = await start(someRuns())

    const warned = await cli(server, ['list', '--name', 'nothing'])
    const failed = await cli(server, [
      'list',
      '--name',
      'nothing',
      '--if-no-artifact-found',
      'fail',
    ])

    expect(warned.exitCode).toBe(0)
    expect(warned.stderr).toContain('warning: No artifact found. Searched octo-org/octo-repo')
    expect(failed.exitCode).toBe(1)
    expect(failed.stderr).toContain('error: No artifact found.')
  })
})

describe('manage-artifacts usage errors', () => {
  it.each([
    [['list', '--run-id', 'abc'], "--run-id: 'abc' is not a positive whole number"],
    [['list', '--older-than', '14 days'], "--older-than: '14 days' is not a duration"],
    [['list', '--workflow', '.github/workflows/build.yml'], '--workflow: '],
    [['list', '--if-no-artifact-found', 'maybe'], "--if-no-artifact-found: 'maybe' is not one of"],
    [['download', '--min-size', '0'], '--min-size:'],
    [['delete', '--yes'], "to really delete every artifact of octo-org/octo-repo, set --name '*'"],
    [['list', '--path', 'out'], "unknown option '--path'"],
    [['list', '--allow-forks'], "unknown option '--allow-forks'"],
    [['prune'], "unknown command 'prune'"],
    [['list', '--repository', 'octo-org'], "--repository: 'octo-org' is not owner/name"],
    [['list', '--api-url', 'not a url'], "--api-url: 'not a url' is not an http(s) URL"],
    [[], 'Usage: manage-artifacts'],
  ])('%j exits 2 naming the flag, before any API request', async (args, message) => {
    const server = await start(someRuns())

    const result = await cli(server, args)

    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stdout).toBe('')
    expect(server.requests).toEqual([])
  })

  it('hands repeated --repository lines to the repository setting: list takes them all, download one', async () => {
    const repositories = [
      {
        owner: 'octo-org',
        name: 'tools',
        runs: [{ workflow: 'b.yml', artifacts: [{ name: 'cli' }] }],
      },
      {
        owner: 'mona',
        name: 'dotfiles',
        runs: [{ workflow: 'd.yml', artifacts: [{ name: 'rc' }] }],
      },
    ]
    const server = await start([], { seed: { runs: [], repositories, users: ['mona'] } })

    const table = await cli(server, [
      'list',
      '--repository',
      'octo-org/*',
      '--repository',
      'mona/dotfiles',
    ])
    const download = await cli(server, ['download', '--repository', 'a/b', '--repository', 'c/d'])

    expect(table.exitCode).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0].split(/\s+/)[0]).toBe('REPOSITORY')
    expect(
      lines
        .slice(1, 3)
        .map((line) => line.split(/\s+/).slice(0, 2).join(' '))
        .sort(),
    ).toEqual(['mona/dotfiles rc', 'octo-org/tools cli'])
    expect(download.exitCode).toBe(2)
    expect(download.stderr).toContain("--repository: operation 'download' takes one repository")
    // A glob names the repository even when what it selected is in one of them.
    const oneOfThem = await cli(server, [
      'delete',
      '--repository',
      'octo-org/*',
      '--dry-run',
      '--name',
      'cli',
    ])
    const [heading, row] = oneOfThem.stdout.split('\n')
    expect(heading.split(/\s+/).slice(0, 2)).toEqual(['REPOSITORY', 'NAME'])
    expect(row.split(/\s+/).slice(0, 2)).toEqual(['octo-org/tools', 'cli'])
    expect(server.requests.filter((r) => r.path.startsWith('/repos/a/'))).toEqual([])
  })

  it('the README names exactly the flags the commands take', async () => {
    const server = await start([])
    const helps = await Promise.all(
      ['list', 'download', 'delete'].map(
        async (command) => (await cli(server, [command, '--help'])).stdout,
      ),
    )
    const taken = new Set(
      helps.flatMap((help) =>
        [...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((match) => match[1]),
      ),
    )
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8')
    const section = readme.slice(
      readme.indexOf('## From a terminal'),
      readme.indexOf('## Permissions'),
    )
    const documented = new Set(
      section
        .split('\n')
        .filter((line) => line.startsWith('| `--'))
        .flatMap((line) => [...line.split('|')[1].matchAll(/`(--[a-z-]+)`/g)].map((m) => m[1])),
    )

    expect([...documented].sort()).toEqual([...taken].sort())
  })

  it('--help of each command names every flag of that command', async () => {
    const server = await start([])
    const help = async (command: string) => (await cli(server, [command, '--help'])).stdout

    const [list, download, remove] = await Promise.all(['list', 'download', 'delete'].map(help))

    const everyCommand = [
      '--repository',
      '--run-id',
      '--name',
      '--exclude',
      '--workflow',
      '--branch',
      '--event',
      '--commit',
      '--pull-request',
      '--workflow-conclusion',
      '--if-no-artifact-found',
      '--older-than',
      '--min-size',
      '--json',
      '--api-url',
      '--help',
    ]
    for (const flag of everyCommand) {
      expect([flag, list.includes(flag), download.includes(flag), remove.includes(flag)]).toEqual([
        flag,
        true,
        true,
        true,
      ])
    }
    for (const flag of [
      '--path',
      '--merge-multiple',
      '--no-extract',
      '--delete-after-download',
      '--allow-forks',
    ]) {
      expect(download).toContain(flag)
    }
    for (const flag of ['--keep-latest', '--dry-run', '--max-deletions', '--yes']) {
      expect(remove).toContain(flag)
    }
    expect(server.requests).toEqual([])
  })
})

describe('manage-artifacts download', () => {
  it('with no run given takes the newest successful run holding the name, into the current folder', async () => {
    const server = await start([
      ...someRuns(),
      {
        id: 15,
        workflow: 'build.yml',
        conclusion: 'failure',
        createdAt: daysAgo(0.5),
        artifacts: [{ id: 107, name: 'dist', files: { 'app.js': 'failed build' } }],
      },
      {
        id: 16,
        workflow: 'build.yml',
        event: 'pull_request',
        fromFork: true,
        createdAt: daysAgo(0.2),
        artifacts: [{ id: 108, name: 'dist', files: { 'app.js': 'from a fork' } }],
      },
    ])

    const result = await cli(server, ['download', '--name', 'dist', '--json'])

    expect(result.exitCode).toBe(0)
    expect(await tree(scratch.path)).toEqual({ 'app.js': 'new' })
    expect(listed(result).map((a) => [a.id, a.path])).toEqual([[105, scratch.path]])
    expect(result.stderr).toContain('warning: Skipped run 16: it was triggered from a fork')
    expect(result.stderr).toContain('(set --allow-forks to accept them)')
  })

  it('with no run given takes the newest run holding every exact name, or with a pattern at least one match', async () => {
    const server = await start([
      {
        id: 21,
        workflow: 'build.yml',
        createdAt: daysAgo(3),
        artifacts: [
          { name: 'dist', files: { 'app.js': 'oldest' } },
          { name: 'docs', files: { 'index.html': 'oldest' } },
        ],
      },
      {
        id: 22,
        workflow: 'build.yml',
        createdAt: daysAgo(2),
        artifacts: [
          { name: 'dist', files: { 'app.js': 'both' } },
          { name: 'docs', files: { 'index.html': 'both' } },
        ],
      },
      {
        id: 23,
        workflow: 'docs.yml',
        createdAt: daysAgo(1),
        artifacts: [{ name: 'dist', files: { 'app.js': 'dist only' } }],
      },
      {
        id: 24,
        workflow: 'build.yml',
        conclusion: 'failure',
        createdAt: daysAgo(0.5),
        artifacts: [
          { name: 'dist', files: { 'app.js': 'failed' } },
          { name: 'docs', files: { 'index.html': 'failed' } },
        ],
      },
    ])

    const exact = await cli(server, ['download', '--name', 'dist', '--name', 'docs', '--path', 'e'])
    const pattern = await cli(server, ['download', '--name', 'd*', '--path', 'p'])

    expect([exact.exitCode, pattern.exitCode]).toEqual([0, 0])
    expect(exact.stdout).toContain('from run 22')
    expect(pattern.stdout).toContain('from run 23')
    expect(await tree(scratch.path)).toEqual({
      'e/': '',
      'e/dist/': '',
      'e/dist/app.js': 'both',
      'e/docs/': '',
      'e/docs/index.html': 'both',
      'p/': '',
      'p/dist/': '',
      'p/dist/app.js': 'dist only',
    })
  })

  it('--allow-forks takes the fork run; --path is relative to the current folder', async () => {
    const server = await start([
      ...someRuns(),
      {
        id: 16,
        workflow: 'build.yml',
        fromFork: true,
        createdAt: daysAgo(0.2),
        artifacts: [{ id: 108, name: 'dist', files: { 'app.js': 'from a fork' } }],
      },
    ])

    const result = await cli(server, [
      'download',
      '--name',
      'dist',
      '--allow-forks',
      '--path',
      'out',
    ])

    expect(result.exitCode).toBe(0)
    expect(await tree(path.join(scratch.path, 'out'))).toEqual({ 'app.js': 'from a fork' })
    expect(result.stdout).toMatch(/^NAME\s+SIZE\s+CREATED\s+RUN\s+BRANCH\s+EXPIRED\s+SAVED TO\n/)
    expect(result.stdout).toContain(
      `downloaded · from run 16 · into ${path.join(scratch.path, 'out')}`,
    )
  })

  it('--run-id with --merge-multiple, --no-extract and --delete-after-download', async () => {
    const server = await start(someRuns())

    const merged = await cli(server, [
      'download',
      '--run-id',
      '14',
      '--merge-multiple',
      '--path',
      'm',
    ])
    const zipped = await cli(server, ['download', '--run-id', '11', '--no-extract', '--path', 'z'])
    const moved = await cli(server, [
      'download',
      '--run-id',
      '13',
      '--delete-after-download',
      '--path',
      'd',
    ])

    expect([merged.exitCode, zipped.exitCode, moved.exitCode]).toEqual([0, 0, 0])
    const files = await tree(scratch.path)
    expect(Object.keys(files).sort()).toEqual([
      'd/',
      'd/report/',
      'd/report/r.txt',
      'm/',
      'm/app.js',
      'm/lcov.info',
      'z/',
      'z/coverage.zip',
      'z/dist.zip',
    ])
    expect(serverIds(server)).not.toContain(104)
    expect(deletes(server)).toBe(1)
  })

  // Windows has no signals: a child process there can only be ended outright, never interrupted.
  notOnWindows(
    'on Ctrl-C exits 130 and leaves no partial file or staging folder behind',
    async () => {
      const server = await start(
        [
          {
            workflow: 'build.yml',
            artifacts: [{ name: 'big', files: { 'data.bin': randomBytes(2 << 20) } }],
          },
        ],
        // Slow enough that the download is still in flight when the interrupt comes.
        { storageLink: { bytesPerSecond: 64 * 1024 } },
      )
      const halfDone = async (): Promise<string[]> =>
        (await readdir(scratch.path, { recursive: true })).filter((name) =>
          name.includes('.partial-'),
        )

      const result = await runCli(['download', '--name', 'big', '--path', 'out'], {
        env: userEnv(server),
        cwd: scratch.path,
        killWhen: async () =>
          server.storageRequests.some((request) => (request.bytesSent ?? 0) > 0) &&
          (await halfDone()).length > 0,
        killSignal: 'SIGINT',
      })

      expect(result.killed).toBe(true)
      expect(result.exitCode).toBe(130)
      expect(await halfDone()).toEqual([])
      expect(await tree(scratch.path)).toEqual({})
    },
  )

  it('fails with exit 1 when nothing matches, saying what was searched', async () => {
    const server = await start(someRuns())

    const result = await cli(server, ['download', '--name', 'missing'])

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      "error: No artifact found. Searched octo-org/octo-repo, conclusion success, name 'missing'",
    )
    expect(await tree(scratch.path)).toEqual({})
  })

  it('shows no progress when standard error is not a terminal', async () => {
    const server = await start([
      {
        workflow: 'build.yml',
        artifacts: [{ name: 'big', files: { 'data.bin': Buffer.alloc(1 << 20, 7) } }],
      },
    ])

    const result = await cli(server, ['download', '--name', 'big'])

    expect(result.exitCode).toBe(0)
    expect(result.stderr).not.toContain('Downloading')
    expect(result.stderr).not.toMatch(/[\r\x1b]/)
  })
})

describe('manage-artifacts delete', () => {
  it('refuses with exit 2 and deletes nothing when standard input is not a terminal and --yes is not given', async () => {
    const server = await start(someRuns())
    const before = serverIds(server)

    const result = await runCli(['delete', '--name', 'dist'], {
      env: userEnv(server),
      cwd: scratch.path,
      input: 'y\n',
    })

    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('standard input is not a terminal')
    expect(result.stderr).toContain('--yes')
    expect(serverIds(server)).toEqual(before)
    expect(server.requests).toEqual([])
  })

  it('--dry-run deletes nothing and shows what would go; --yes then deletes exactly that', async () => {
    const server = await start(someRuns())
    const rule = ['delete', '--older-than', '3d', '--keep-latest', '1', '--json']

    const dryRun = await cli(server, [...rule, '--dry-run'])
    const real = await cli(server, [...rule, '--yes'])

    expect(dryRun.exitCode).toBe(0)
    expect(ids(listed(dryRun))).toEqual([101, 102, 103])
    expect(dryRun.stderr).toContain('Dry run: nothing was deleted.')
    expect(real.exitCode).toBe(0)
    expect(ids(listed(real))).toEqual([101, 102, 103])
    expect(serverIds(server)).toEqual([104, 105, 106])
    expect(real.stderr).toContain('GitHub recalculates storage usage')
    // A pipe gets no progress bar.
    expect(real.stderr).not.toContain('Deleting')
    expect(real.stderr).not.toMatch(/[\r\x1b]/)
  })

  it('--max-deletions stops after that many, the oldest first', async () => {
    const server = await start(someRuns())

    const result = await cli(server, ['delete', '--name', '*', '--max-deletions', '2', '--yes'])

    expect(result.exitCode).toBe(0)
    expect(deletes(server)).toBe(2)
    expect(result.stdout).toContain('2 artifacts')
    expect(result.stdout).toContain('4 remaining')
    expect(result.stderr.match(/Stopped after --max-deletions \(2\)/g)).toHaveLength(1)
  })

  it('stops cleanly when the primary rate limit runs low, saying when it resets and how many are left', async () => {
    const runs = Array.from({ length: 30 }, () => ({
      workflow: 'build.yml',
      artifacts: [{ name: 'log' }],
    }))
    const server = await start(runs, {
      rateLimits: { primary: { limit: 1000, remaining: 25, resetInSeconds: 1800 } },
    })

    const result = await cli(server, ['delete', '--name', 'log', '--yes'])

    expect(result.exitCode).toBe(0)
    const left = server.artifacts().length
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThan(30)
    expect(result.stdout).toContain(`${30 - left} artifacts`)
    expect(result.stdout).toContain(`${left} remaining`)
    const stops = result.stderr.match(/^.*Stopped deleting to stay within the API rate limit.*$/gm)
    expect(stops).toHaveLength(1)
    expect(stops?.[0]).toMatch(/^warning: .*it resets at \d{4}-\d\d-\d\dT[\d:.]+Z\)/)
    expect(stops?.[0]).toContain(`${left} artifacts left`)
    expect(server.requests.every((r) => r.status !== 403)).toBe(true)
  })

  it('exits 1 naming the permission when GitHub refuses the deletion', async () => {
    const server = await start(someRuns(), { forbidDelete: true })

    const result = await cli(server, ['delete', '--name', 'report', '--yes'])

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('error: Could not delete 1 artifact')
    expect(result.stderr).toContain('HTTP 403')
    // Worded for a terminal: the variable the token came from, and how a personal token gets it.
    expect(result.stderr).toContain('the token (`GITHUB_TOKEN`) needs `actions: write`')
    expect(result.stderr).toContain('"Actions: Read and write"')
  })
})

describe('manage-artifacts token', () => {
  async function fakeGh(script: string): Promise<void> {
    const bin = path.join(scratch.path, 'bin')
    await mkdir(bin, { recursive: true })
    await writeFile(path.join(bin, 'gh'), `#!/bin/sh\n${script}\n`)
    await chmod(path.join(bin, 'gh'), 0o755)
  }

  function listWith(server: Emulator, env: Record<string, string>) {
    const base = {
      GITHUB_API_URL: server.apiUrl,
      GITHUB_REPOSITORY: `${server.owner}/${server.repo}`,
    }
    return runCli(['list', '--json'], { env: bareEnv({ ...base, ...env }), cwd: scratch.path })
  }

  it('takes GITHUB_TOKEN before GH_TOKEN, and never prints it', async () => {
    const server = await start(someRuns())

    const result = await listWith(server, { GITHUB_TOKEN: server.token, GH_TOKEN: 'wrong' })

    expect(result.exitCode).toBe(0)
    expect(result.stderr).toContain('token from GITHUB_TOKEN')
    expect(result.stdout + result.stderr).not.toContain(server.token)
  })

  it('takes GH_TOKEN when GITHUB_TOKEN is not set', async () => {
    const server = await start(someRuns())

    const result = await listWith(server, { GH_TOKEN: server.token })

    expect(result.exitCode).toBe(0)
    expect(listed(result)).toHaveLength(6)
  })

  // The stand-in `gh` is a shell script, which Windows does not run as a program.
  notOnWindows("takes what 'gh auth token' prints when neither variable is set", async () => {
    const server = await start(someRuns())
    await fakeGh(`[ "$1 $2" = "auth token" ] && echo ${server.token}`)

    const result = await listWith(server, {})

    expect(result.exitCode).toBe(0)
    expect(result.stderr).toContain('token from `gh auth token`')
    expect(server.requests[0].headers.authorization).toBe(`token ${server.token}`)
    expect(result.stdout + result.stderr).not.toContain(server.token)
  })

  it('with no token at all exits 1 naming GITHUB_TOKEN, before any API request', async () => {
    const server = await start(someRuns())
    await fakeGh('echo "You are not logged into any GitHub hosts." >&2; exit 1')

    const result = await listWith(server, {})

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('error: No token: set GITHUB_TOKEN')
    expect(server.requests).toEqual([])
  })

  it('a refused token exits 1 with the HTTP status and names GITHUB_TOKEN', async () => {
    const server = await start(someRuns())

    const result = await listWith(server, { GITHUB_TOKEN: 'ghp_wrongtoken' })

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('HTTP 401')
    expect(result.stderr).toContain('check `GITHUB_TOKEN`')
    expect(result.stderr).not.toContain('ghp_wrongtoken')
  })
})

describe('manage-artifacts repository and API URL', () => {
  const run = promisify(execFile)

  async function gitRepository(origin: string): Promise<string> {
    const folder = path.join(scratch.path, 'clone')
    await mkdir(folder, { recursive: true })
    await run('git', ['init', '--quiet'], { cwd: folder })
    await run('git', ['remote', 'add', 'origin', origin], { cwd: folder })
    return folder
  }

  function listIn(server: Emulator, cwd: string, env: Record<string, string> = {}) {
    const base = {
      PATH: process.env.PATH ?? '',
      GITHUB_API_URL: server.apiUrl,
      GITHUB_TOKEN: server.token,
    }
    return runCli(['list', '--json'], { env: bareEnv({ ...base, ...env }), cwd })
  }

  it.each([
    ['https', 'https://github.com/octo-org/octo-repo.git'],
    ['ssh', 'git@github.com:octo-org/octo-repo.git'],
    ['ssh URL', 'ssh://git@github.com/octo-org/octo-repo'],
  ])(
    'takes the repository from an %s origin remote of the current git repository',
    async (_, origin) => {
      const server = await start(someRuns())
      const clone = await gitRepository(origin)

      const result = await listIn(server, clone)

      expect(result.exitCode).toBe(0)
      expect(listed(result)).toHaveLength(6)
      expect(result.stderr).toContain('repository octo-org/octo-repo from the git remote origin')
    },
  )

  it('prefers --repository, then GITHUB_REPOSITORY, to the git remote', async () => {
    const server = await start(someRuns())
    const clone = await gitRepository('https://github.com/someone/else.git')

    const fromVariable = await listIn(server, clone, { GITHUB_REPOSITORY: 'octo-org/octo-repo' })
    const fromFlag = await runCli(['list', '--repository', 'octo-org/octo-repo'], {
      env: bareEnv({
        PATH: process.env.PATH ?? '',
        GITHUB_API_URL: server.apiUrl,
        GITHUB_TOKEN: server.token,
        GITHUB_REPOSITORY: 'someone/else',
      }),
      cwd: clone,
    })

    expect([fromVariable.exitCode, fromFlag.exitCode]).toEqual([0, 0])
    expect(server.requests.every((r) => r.path.startsWith('/repos/octo-org/octo-repo/'))).toBe(true)
  })

  it('exits 2 naming --repository outside a git repository with no GITHUB_REPOSITORY', async () => {
    const server = await start(someRuns())

    const result = await listIn(server, scratch.path)

    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('--repository: required')
    expect(server.requests).toEqual([])
  })

  it('--api-url wins over GITHUB_API_URL', async () => {
    const server = await start(someRuns())

    const result = await runCli(['list', '--json', '--api-url', server.apiUrl], {
      env: userEnv(server, { GITHUB_API_URL: 'http://127.0.0.1:9/nowhere' }),
      cwd: scratch.path,
    })

    expect(result.exitCode).toBe(0)
    expect(listed(result)).toHaveLength(6)
  })

  it('reaches the API through http_proxy', async () => {
    const server = await start(someRuns())
    const port = Number(new URL(server.apiUrl).port)
    const proxy = await startProxy(port)

    // Loopback addresses bypass the proxy: the API is given a name only the proxy resolves.
    const result = await cli(server, ['list', '--json'], {
      GITHUB_API_URL: `http://api.example.test:${port}`,
      http_proxy: proxy.url,
    })

    expect(result.exitCode).toBe(0)
    expect(listed(result)).toHaveLength(6)
    expect(proxy.tunnels).toContain(`api.example.test:${port}`)
  })
})

describe('manage-artifacts through npx', () => {
  it('runs the committed bundle that package.json bin names, with no build step', async () => {
    const server = await start(someRuns())

    const { stdout } = await promisify(execFile)(
      'npx',
      ['--no-install', 'manage-artifacts', 'list', '--json'],
      // A shell finds npx on Windows too, where it is a .cmd script.
      {
        cwd: projectRoot,
        env: userEnv(server, { npm_config_update_notifier: 'false' }),
        shell: true,
      },
    )

    expect(ids(JSON.parse(stdout) as ArtifactRecord[])).toEqual(serverIds(server))
  })
})

describe("the README's quota-emergency recipe", () => {
  /** The recipe's `manage-artifacts` commands, each as its arguments (what it is piped to dropped). */
  async function recipeCommands(): Promise<string[][]> {
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8')
    const recipe = readme.slice(readme.indexOf('### Quota emergency'))
    const script = /```sh\n([\s\S]*?)```/.exec(recipe)?.[1] ?? ''
    return script
      .split('\n')
      .filter((line) => line.startsWith('manage-artifacts '))
      .map((line) =>
        [...line.split(' | ')[0].matchAll(/'([^']*)'|(\S+)/g)]
          .map(([, quoted, bare]) => quoted ?? bare)
          .slice(1),
      )
  }

  /** Every other day for 20 days: a large recording, a small log and a tiny build. */
  function quotaRuns(): SeedRun[] {
    return Array.from({ length: 10 }, (_, index) => {
      const i = index + 1
      return {
        id: 30 + i,
        workflow: 'e2e.yml',
        createdAt: daysAgo(2 * i),
        artifacts: [
          { id: 100 + i, name: 'e2e-videos', sizeInBytes: (50 + i) * 1024 * 1024 },
          { id: 200 + i, name: 'e2e-logs', sizeInBytes: 1024 * 1024 },
          { id: 300 + i, name: 'dist' },
        ],
      }
    })
  }

  it('runs as written: the biggest artifacts, every one as JSON, a dry run, then the delete asks first', async () => {
    const server = await start(quotaRuns())
    const before = serverIds(server)
    const commands = await recipeCommands()
    expect(commands).toHaveLength(4)
    const [biggest, everyOne, dryRun, real] = commands

    const big = await cli(server, biggest)
    const all = await cli(server, everyOne)
    const wouldGo = await cli(server, [...dryRun, '--json'])
    const unconfirmed = await cli(server, real)
    expect(serverIds(server)).toEqual(before)
    const deleted = await cli(server, [...real, '--yes', '--json'])

    expect(big.exitCode).toBe(0)
    const rows = big.stdout.split('\n').filter((line) => /^\S+\s+\d/.test(line))
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(Array(10).fill('e2e-videos'))
    expect(ids(listed(all))).toEqual(before)
    // Older than 7 days (every other day from the 8th back), the 2 newest of each name kept.
    const old = [4, 5, 6, 7, 8, 9, 10]
    expect(ids(listed(wouldGo))).toEqual([...old.map((i) => 100 + i), ...old.map((i) => 200 + i)])
    expect(unconfirmed.exitCode).toBe(2)
    expect(deleted.exitCode).toBe(0)
    expect(ids(listed(deleted))).toEqual(ids(listed(wouldGo)))
    expect(serverIds(server)).toEqual(before.filter((id) => !ids(listed(wouldGo)).includes(id)))
  })
})
