import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { fetchApi, repoPath, startEmulator, type Emulator } from '../support/emulator/index.js'

interface RunJson {
  id: number
  workflow_id: number
  head_branch: string
  head_sha: string
  event: string
  status: string
  conclusion: string | null
  path: string
  repository: { id: number }
  head_repository: { id: number; full_name: string }
  pull_requests: { number: number }[]
}
interface RunList {
  total_count: number
  workflow_runs: RunJson[]
}

const SHA = 'a'.repeat(40)
let emulator: Emulator

beforeAll(async () => {
  emulator = await startEmulator({
    seed: {
      runs: [
        { id: 1, workflow: 'build.yml', branch: 'main', event: 'push' },
        { id: 2, workflow: 'build.yml', branch: 'main', event: 'push', conclusion: 'failure' },
        { id: 3, workflow: 'test.yml', branch: 'dev', event: 'pull_request', pullRequests: [17] },
        {
          id: 4,
          workflow: 'build.yml',
          branch: 'feature',
          event: 'pull_request',
          fromFork: true,
          sha: SHA,
        },
        { id: 5, workflow: 'build.yml', status: 'in_progress', conclusion: null },
      ],
    },
  })
})

afterAll(() => emulator.close())

async function runIds(path: string): Promise<number[]> {
  const response = await fetchApi(emulator, `${repoPath(emulator)}${path}`)
  expect(response.status).toBe(200)
  const body = (await response.json()) as RunList
  expect(body.total_count).toBe(body.workflow_runs.length)
  return body.workflow_runs.map((run) => run.id)
}

describe('workflow runs', () => {
  it('lists runs newest first', async () => {
    expect(await runIds('/actions/runs')).toEqual([5, 4, 3, 2, 1])
  })

  it('filters on branch, event, head_sha, and status given as a status or a conclusion', async () => {
    expect(await runIds('/actions/runs?branch=main')).toEqual([5, 2, 1])
    expect(await runIds('/actions/runs?event=pull_request')).toEqual([4, 3])
    expect(await runIds(`/actions/runs?head_sha=${SHA}`)).toEqual([4])
    expect(await runIds('/actions/runs?status=success')).toEqual([4, 3, 1])
    expect(await runIds('/actions/runs?status=completed')).toEqual([4, 3, 2, 1])
    expect(await runIds('/actions/runs?status=in_progress')).toEqual([5])
    expect(await runIds('/actions/runs?branch=main&status=failure')).toEqual([2])
  })

  it("lists one workflow's runs by file name or by id", async () => {
    const workflowId = emulator.runs().find((run) => run.workflow === 'test.yml')?.workflowId

    expect(await runIds('/actions/workflows/build.yml/runs?status=success')).toEqual([4, 1])
    expect(await runIds(`/actions/workflows/${workflowId}/runs`)).toEqual([3])
  })

  it('gets one run with its workflow, repositories and pull requests', async () => {
    const fork = (await (
      await fetchApi(emulator, `${repoPath(emulator)}/actions/runs/4`)
    ).json()) as RunJson
    const own = (await (
      await fetchApi(emulator, `${repoPath(emulator)}/actions/runs/3`)
    ).json()) as RunJson
    const unknown = await fetchApi(emulator, `${repoPath(emulator)}/actions/runs/99`)

    expect(fork).toMatchObject({ id: 4, head_sha: SHA, path: '.github/workflows/build.yml' })
    expect(fork.repository.id).toBe(emulator.repositoryId)
    expect(fork.head_repository.id).not.toBe(emulator.repositoryId)
    expect(own.head_repository.id).toBe(emulator.repositoryId)
    expect(own.pull_requests.map((pr) => pr.number)).toEqual([17])
    expect(own.workflow_id).not.toBe(fork.workflow_id)
    expect(unknown.status).toBe(404)
  })

  it('gets a workflow by file name or id, and 404 for an unknown one', async () => {
    const byName = await fetchApi(emulator, `${repoPath(emulator)}/actions/workflows/test.yml`)
    const workflow = (await byName.json()) as { id: number; path: string; state: string }
    const byId = await fetchApi(emulator, `${repoPath(emulator)}/actions/workflows/${workflow.id}`)
    const unknown = await fetchApi(emulator, `${repoPath(emulator)}/actions/workflows/nope.yml`)

    expect(workflow).toMatchObject({ path: '.github/workflows/test.yml', state: 'active' })
    expect(((await byId.json()) as { path: string }).path).toBe('.github/workflows/test.yml')
    expect(unknown.status).toBe(404)
  })

  it('reports runs through runs() with their workflow ids', () => {
    const runs = emulator.runs()

    expect(runs.map((run) => run.id)).toEqual([5, 4, 3, 2, 1])
    expect(
      new Set(runs.filter((r) => r.workflow === 'build.yml').map((r) => r.workflowId)).size,
    ).toBe(1)
  })
})
