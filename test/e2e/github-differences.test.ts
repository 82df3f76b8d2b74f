import { mkdir, readdir } from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import type { ArtifactRecord } from '../../src/core/artifact.js'
import { runAction, type ActionResult } from '../support/action.js'
import { buildZip, type Emulator, type SeedRun } from '../support/emulator/index.js'
import { daysAgo, tree, useEmulator, useScratchFolder } from '../support/fixtures.js'

/**
 * Where GitHub's answers differ from the common case: GitHub Enterprise Server's artifacts, fork
 * pull requests, lasting rate limits, stalled answers, and listings too large for an output.
 */
const start = useEmulator()
const scratch = useScratchFolder('github-differences-')
let workspace: string

beforeEach(async () => {
  workspace = path.join(scratch.path, 'workspace')
  await mkdir(workspace)
})

function act(
  server: Emulator,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionResult> {
  return runAction({ inputs, emulator: server, workspace, env })
}

function records(result: ActionResult): ArtifactRecord[] {
  return JSON.parse(result.outputs.artifacts) as ArtifactRecord[]
}

function names(result: ActionResult): string[] {
  return records(result)
    .map((r) => r.name)
    .sort()
}

const MAIN_RUN = 8_100
const FEATURE_RUN = 8_200
const FORK_RUN = 8_300

/** Runs on two branches and one from a fork, each with a `dist` of its own. */
function branchRuns(): SeedRun[] {
  return [
    {
      id: MAIN_RUN,
      workflow: 'build.yml',
      branch: 'main',
      artifacts: [{ name: 'dist', files: { 'app.js': 'main' } }, { name: 'logs' }],
    },
    {
      id: FEATURE_RUN,
      workflow: 'build.yml',
      branch: 'feature',
      artifacts: [{ name: 'dist', files: { 'app.js': 'feature' } }],
    },
    {
      workflow: 'test.yml',
      branch: 'main',
      artifacts: [{ name: 'dist', files: { 'app.js': 'other workflow' } }],
    },
    {
      id: FORK_RUN,
      workflow: 'build.yml',
      branch: 'patch-1',
      event: 'pull_request',
      fromFork: true,
      pullRequests: [12],
      artifacts: [{ name: 'dist', files: { 'app.js': 'from the fork' } }],
    },
  ]
}

describe('GitHub Enterprise Server artifacts, without workflow_run or digest', () => {
  it('lists by branch through the runs, each artifact naming its run and branch', async () => {
    const server = await start(branchRuns(), { artifactShape: 'ghes', apiPathPrefix: '/api/v3' })

    const result = await act(server, { operation: 'list', branch: 'main' })

    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([])
    const listed = records(result)
    const onMain = server.runs().filter((run) => run.branch === 'main')
    expect(listed.map((r) => r.run_id).sort()).toEqual(
      server
        .artifacts()
        .filter((a) => onMain.some((run) => run.id === a.runId))
        .map((a) => a.runId)
        .sort(),
    )
    expect(listed).toHaveLength(3)
    expect(listed.every((r) => r.head_branch === 'main')).toBe(true)
    // The runs listing was filtered on the server, then each main run's artifacts listed.
    const runListings = server.requests.filter((r) => r.path.endsWith('/actions/runs'))
    expect(runListings.map((r) => r.query.branch)).toEqual(['main'])
  })

  it("downloads the README's first recipe: workflow, branch and name", async () => {
    const server = await start(branchRuns(), { artifactShape: 'ghes' })

    const result = await act(server, {
      operation: 'download',
      workflow: 'build.yml',
      branch: 'main',
      name: 'dist',
      path: 'dist',
    })

    expect(result.exitCode).toBe(0)
    expect(await tree(path.join(workspace, 'dist'))).toEqual({ 'app.js': 'main' })
    expect(result.outputs['run-id']).toBe(String(MAIN_RUN))
    expect(result.stdout).toMatch(/No digest given for 'dist'.*cannot be checked/)
  })

  it("looks a run-id's run up to tell that a fork made its artifacts, and skips them", async () => {
    const server = await start(branchRuns(), { artifactShape: 'ghes' })

    const refused = await act(server, { operation: 'download', 'run-id': String(FORK_RUN) })

    expect(refused.exitCode).toBe(1)
    expect(refused.warnings.join('\n')).toMatch(/Skipped artifact 'dist'.*fork.*allow-forks: true/)
    expect(await readdir(workspace)).toEqual([])
    expect(server.requests.some((r) => r.path.endsWith(`/actions/runs/${FORK_RUN}`))).toBe(true)

    const accepted = await act(server, {
      operation: 'download',
      'run-id': String(FORK_RUN),
      'allow-forks': 'true',
    })

    expect(accepted.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({ 'dist/': '', 'dist/app.js': 'from the fork' })
    expect(records(accepted)[0].run_id).toBe(FORK_RUN)
  })
})

describe('fork pull requests', () => {
  it('lets the current run of a fork pull request download its own artifacts', async () => {
    const server = await start(branchRuns())

    const result = await act(
      server,
      { operation: 'download', name: 'dist' },
      { GITHUB_RUN_ID: String(FORK_RUN) },
    )

    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([])
    expect(await tree(workspace)).toEqual({ 'app.js': 'from the fork' })
    expect(result.outputs['run-id']).toBe(String(FORK_RUN))
  })

  it('still skips the artifacts of another run made from a fork', async () => {
    const server = await start(branchRuns())

    const result = await act(
      server,
      { operation: 'download', 'run-id': String(FORK_RUN) },
      { GITHUB_RUN_ID: String(MAIN_RUN) },
    )

    expect(result.exitCode).toBe(1)
    expect(result.warnings.join('\n')).toContain('untrusted')
    expect(await readdir(workspace)).toEqual([])
  })

  it('finds the runs of a fork pull request, which list no pull request, through its head', async () => {
    const server = await start([
      ...branchRuns(),
      // A push to a branch of the same name in the repository itself is not the pull request's.
      { workflow: 'build.yml', branch: 'patch-1', artifacts: [{ name: 'dist' }] },
      {
        workflow: 'build.yml',
        branch: 'topic',
        event: 'pull_request',
        pullRequests: [13],
        artifacts: [{ name: 'dist' }],
      },
    ])

    const listed = await act(server, { operation: 'list', 'pull-request': '12' })

    expect(listed.exitCode).toBe(0)
    expect(records(listed).map((r) => r.run_id)).toEqual([FORK_RUN])
    expect(server.requests.some((r) => r.path.endsWith('/pulls/12'))).toBe(true)

    const downloaded = await act(server, {
      operation: 'download',
      workflow: 'build.yml',
      'pull-request': '12',
      'allow-forks': 'true',
      name: 'dist',
    })

    expect(downloaded.exitCode).toBe(0)
    expect(downloaded.outputs['run-id']).toBe(String(FORK_RUN))
    expect(await tree(workspace)).toEqual({ 'app.js': 'from the fork' })
  })

  it('finds the runs of a pull request whose fork was deleted, and still treats them as a fork', async () => {
    const server = await start([
      ...branchRuns(),
      {
        id: 8_500,
        workflow: 'build.yml',
        branch: 'patch-2',
        event: 'pull_request',
        forkDeleted: true,
        pullRequests: [14],
        artifacts: [{ name: 'dist', files: { 'app.js': 'from a deleted fork' } }],
      },
    ])

    const listed = await act(server, { operation: 'list', 'pull-request': '14' })

    expect(listed.exitCode).toBe(0)
    expect(records(listed).map((r) => r.run_id)).toEqual([8_500])

    const refused = await act(server, {
      operation: 'download',
      workflow: 'build.yml',
      'pull-request': '14',
      name: 'dist',
    })

    expect(refused.exitCode).toBe(1)
    expect(refused.warnings.join('\n')).toContain('Skipped run 8500: it was triggered from a fork')
    expect(await readdir(workspace)).toEqual([])
  })

  it('finds the runs of a pull request from the repository itself, which name it', async () => {
    const server = await start([
      ...branchRuns(),
      {
        id: 8_400,
        workflow: 'build.yml',
        branch: 'topic',
        event: 'pull_request',
        pullRequests: [13],
        artifacts: [{ name: 'dist' }],
      },
    ])

    const result = await act(server, { operation: 'list', 'pull-request': '13' })

    expect(records(result).map((r) => r.run_id)).toEqual([8_400])
  })
})

describe('rate limits and stalled answers', () => {
  it('stops deleting cleanly when the secondary limit keeps refusing, naming no permission', async () => {
    const runs: SeedRun[] = Array.from({ length: 30 }, (_, i) => ({
      workflow: 'build.yml',
      createdAt: daysAgo(30 - i / 10),
      artifacts: [{ name: 'log' }],
    }))
    const server = await start(runs, {
      // Room for the listing and a few DELETEs, then blocked for ten minutes.
      rateLimits: { secondary: { pointsPerWindow: 40, windowMs: 60_000, blockSeconds: 600 } },
    })

    const result = await act(server, { operation: 'delete', name: 'log' })

    expect(result.exitCode).toBe(0)
    const left = server.artifacts().length
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThan(30)
    expect(result.outputs.remaining).toBe(String(left))
    expect(Number(result.outputs.count)).toBe(30 - left)
    const warnings = result.warnings.join('\n')
    expect(warnings).toContain('secondary rate limit')
    expect(warnings).toContain('next run carries on')
    expect(result.stdout).not.toContain('actions: write')
  })

  it('gives a stalled API answer up and retries it', async () => {
    const server = await start(branchRuns())
    server.addFault({ path: /\/actions\/artifacts$/, stallMs: Infinity })

    const result = await act(server, { operation: 'list' })

    expect(result.exitCode).toBe(0)
    expect(records(result)).toHaveLength(server.artifacts().length)
    const listings = server.requests.filter((r) => r.path.endsWith('/actions/artifacts'))
    expect(listings).toHaveLength(2)
  }, 60_000)
})

describe('the cross-run search with a workflow', () => {
  it('reads the workflow runs filtered on the server, and says how far back it looked', async () => {
    const old: SeedRun = {
      workflow: 'build.yml',
      branch: 'main',
      artifacts: [{ name: 'dist', files: { 'app.js': 'too far back' } }],
    }
    const newer: SeedRun[] = Array.from({ length: 120 }, () => ({
      workflow: 'build.yml',
      branch: 'main',
      artifacts: [{ name: 'coverage' }],
    }))
    const server = await start([old, ...newer])

    const result = await act(server, {
      operation: 'download',
      workflow: 'build.yml',
      branch: 'main',
      event: 'push',
      name: 'dist',
    })

    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(/the newest 100 run\(s\) of the listing, back to one created \S+/)
    expect(error).toContain('the search stops after 100 runs; older runs were not searched')
    const listing = server.requests.filter((r) => r.path.endsWith('/workflows/build.yml/runs'))
    expect(listing).toHaveLength(1)
    expect(listing[0].query).toMatchObject({ branch: 'main', event: 'push', status: 'success' })
    const runArtifactListings = server.requests.filter((r) =>
      /\/runs\/\d+\/artifacts$/.test(r.path),
    )
    expect(runArtifactListings).toHaveLength(100)
    expect(await readdir(workspace)).toEqual([])
  })

  it('filters the runs on a whole commit SHA on the server, and on a short one here', async () => {
    const wanted = 'a'.repeat(40)
    const server = await start([
      { workflow: 'build.yml', sha: wanted, artifacts: [{ name: 'dist', files: { f: 'wanted' } }] },
      { workflow: 'build.yml', sha: 'b'.repeat(40), artifacts: [{ name: 'dist' }] },
    ])
    const runListings = () =>
      server.requests.filter((r) => r.path.endsWith('/workflows/build.yml/runs'))

    const whole = await act(server, {
      operation: 'download',
      workflow: 'build.yml',
      commit: wanted,
      name: 'dist',
      path: 'whole',
    })

    expect(whole.exitCode).toBe(0)
    expect(await tree(path.join(workspace, 'whole'))).toEqual({ f: 'wanted' })
    expect(runListings().map((r) => r.query.head_sha)).toEqual([wanted])

    const short = await act(server, {
      operation: 'download',
      workflow: 'build.yml',
      commit: wanted.slice(0, 7),
      name: 'dist',
      path: 'short',
    })

    expect(short.exitCode).toBe(0)
    expect(await tree(path.join(workspace, 'short'))).toEqual({ f: 'wanted' })
    expect(runListings()[1].query.head_sha).toBeUndefined()
  })
})

describe('outputs and summary GitHub accepts', () => {
  const LONG = 'x'.repeat(900)

  it('caps the artifacts output and the summary by bytes, the whole list in artifacts-file', async () => {
    const runs: SeedRun[] = Array.from({ length: 12 }, (_, run) => ({
      workflow: 'build.yml',
      artifacts: Array.from({ length: 100 }, (_, i) => ({ name: `${LONG}-${run}-${i}` })),
    }))
    const server = await start(runs)

    const runnerTemp = path.join(scratch.path, 'runner-temp')
    await mkdir(runnerTemp)

    const result = await act(server, { operation: 'list' }, { RUNNER_TEMP: runnerTemp })

    expect(result.exitCode).toBe(0)
    expect(path.dirname(result.outputs['artifacts-file'])).toBe(runnerTemp)
    const whole = JSON.parse(result.artifactsFile ?? '') as ArtifactRecord[]
    expect(whole.map((r) => r.id).sort()).toEqual(
      server
        .artifacts()
        .map((a) => a.id)
        .sort(),
    )
    expect(Buffer.byteLength(result.outputs.artifacts)).toBeLessThanOrEqual(1_000_000)
    const shown = records(result)
    expect(shown.length).toBeLessThan(whole.length)
    // The newest: none left out is newer than one shown.
    const oldestShown = Math.min(...shown.map((r) => Date.parse(r.created_at ?? '')))
    const leftOut = whole.filter((r) => !shown.some((s) => s.id === r.id))
    expect(leftOut.every((r) => Date.parse(r.created_at ?? '') <= oldestShown)).toBe(true)
    expect(result.warnings.join('\n')).toContain(
      `newest ${shown.length} of ${whole.length} artifacts`,
    )
    expect(result.outputs.count).toBe(String(whole.length))
    expect(Buffer.byteLength(result.summary)).toBeLessThan(1024 * 1024)
    const repository = `${server.owner}/${server.repo}`
    const rows = result.summary
      .split('\n')
      .filter((line) => line.startsWith(`| ${repository} | ${LONG}`))
    expect(result.summary).toContain(`…and ${whole.length - rows.length} more`)
  })

  it('escapes every cell, the saved-to path included', async () => {
    const server = await start([
      {
        id: MAIN_RUN,
        workflow: 'build.yml',
        artifacts: [{ name: 'a`b|c', files: { f: 'x' } }, { name: 'plain' }],
      },
    ])

    const result = await act(server, { operation: 'download', 'run-id': String(MAIN_RUN) })

    expect(result.exitCode).toBe(0)
    const row = result.summary
      .split('\n')
      .find((line) => line.startsWith(`| ${server.owner}/${server.repo} | a`))
    expect(row).toContain('a\\`b\\|c')
    // Every cell separator is one the table meant: 9 columns, 10 bars.
    expect(row?.replace(/\\\|/g, '').split('|')).toHaveLength(11)
    expect(row).toContain(`${path.join(workspace, 'a\\`b\\|c')}`)
  })

  it('warns, and stays green, when the summary cannot be written', async () => {
    const server = await start(branchRuns())

    const result = await act(
      server,
      { operation: 'list' },
      { GITHUB_STEP_SUMMARY: path.join(scratch.path, 'no-such-folder', 'summary') },
    )

    expect(result.exitCode).toBe(0)
    expect(result.warnings.join('\n')).toContain('Could not write the job summary')
    expect(result.outputs.count).toBe(String(server.artifacts().length))
  })
})

describe('small ones', () => {
  it('skips an expired artifact among several of a run-id with a warning', async () => {
    const server = await start([
      {
        id: MAIN_RUN,
        workflow: 'build.yml',
        artifacts: [
          { name: 'fresh', files: { f: 'fresh' } },
          { name: 'stale', expired: true },
        ],
      },
    ])

    const result = await act(server, { operation: 'download', 'run-id': String(MAIN_RUN) })

    expect(result.exitCode).toBe(0)
    expect(names(result)).toEqual(['fresh'])
    expect(result.warnings.join('\n')).toMatch(/Skipped artifact 'stale'.*expired/)
    expect(await tree(workspace)).toEqual({ 'fresh/': '', 'fresh/f': 'fresh' })

    const single = await act(server, {
      operation: 'download',
      'run-id': String(MAIN_RUN),
      name: 'stale',
    })

    expect(single.exitCode).toBe(1)
    expect(single.errors.join('\n')).toMatch(/Artifact 'stale' \(id \d+\) has expired/)
  })

  it('extracts an entry named ..foo, a plain file name', async () => {
    const zip = buildZip([
      { name: '..foo', data: 'dots' },
      { name: 'dir/..bar', data: 'more dots' },
    ])
    const server = await start([
      { id: MAIN_RUN, workflow: 'build.yml', artifacts: [{ name: 'd', zip }] },
    ])

    const result = await act(server, {
      operation: 'download',
      'run-id': String(MAIN_RUN),
      name: 'd',
    })

    expect(result.exitCode).toBe(0)
    expect(await tree(workspace)).toEqual({
      '..foo': 'dots',
      'dir/': '',
      'dir/..bar': 'more dots',
    })
  })
})
