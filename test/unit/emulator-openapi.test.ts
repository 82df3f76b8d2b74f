import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { ValidateFunction } from 'ajv'
import { fetchApi, repoPath, startEmulator, type Emulator } from '../support/emulator/index.js'
import { responseValidators } from '../support/openapi.js'

const OPERATIONS = {
  listArtifacts: '/repos/{owner}/{repo}/actions/artifacts',
  runArtifacts: '/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts',
  getArtifact: '/repos/{owner}/{repo}/actions/artifacts/{artifact_id}',
  listRuns: '/repos/{owner}/{repo}/actions/runs',
  workflowRuns: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
  getRun: '/repos/{owner}/{repo}/actions/runs/{run_id}',
  getWorkflow: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}',
  getRepository: '/repos/{owner}/{repo}',
  organizationRepositories: '/orgs/{org}/repos',
  userRepositories: '/users/{username}/repos',
}

let emulator: Emulator
let validators: Record<string, ValidateFunction>

beforeAll(async () => {
  validators = responseValidators(Object.values(OPERATIONS))
  emulator = await startEmulator({
    seed: {
      runs: [
        { id: 10, workflow: 'build.yml', pullRequests: [3], artifacts: [{ id: 1, name: 'dist' }] },
        {
          id: 11,
          workflow: 'build.yml',
          fromFork: true,
          conclusion: null,
          status: 'in_progress',
          artifacts: [
            {
              id: 2,
              name: 'raw',
              rawFile: { fileName: 'r.txt', data: Buffer.from('r') },
              digest: null,
            },
          ],
        },
        { id: 12, workflow: 'test.yml', artifacts: [{ id: 3, name: 'old', expired: true }] },
      ],
      repositories: [
        { owner: 'octo-org', name: 'vault', private: true, archived: true },
        { owner: 'mona', name: 'dotfiles' },
      ],
      users: ['mona'],
    },
  })
})

afterAll(() => emulator.close())

async function answer(path: string): Promise<unknown> {
  return answerOf(`${repoPath(emulator)}${path}`)
}

async function answerOf(apiPath: string): Promise<unknown> {
  const response = await fetchApi(emulator, apiPath)
  expect(response.status).toBe(200)
  return response.json()
}

function expectValid(operation: string, body: unknown): void {
  const validate = validators[operation]
  validate(body)
  expect(validate.errors ?? []).toEqual([])
}

/** A test that the answer at a path, fetched by `fetchAnswer`, is valid for the operation. */
function validatesAnswer(fetchAnswer: (path: string) => Promise<unknown>) {
  return async (operation: string, path: string) => expectValid(operation, await fetchAnswer(path))
}

describe('answers validate against the OpenAPI description of api.github.com', () => {
  it.each([
    [OPERATIONS.listArtifacts, '/actions/artifacts'],
    [OPERATIONS.runArtifacts, '/actions/runs/11/artifacts'],
    [OPERATIONS.getArtifact, '/actions/artifacts/2'],
    [OPERATIONS.listRuns, '/actions/runs'],
    [OPERATIONS.workflowRuns, '/actions/workflows/build.yml/runs'],
    [OPERATIONS.getRun, '/actions/runs/10'],
    [OPERATIONS.getRun, '/actions/runs/11'],
    [OPERATIONS.getWorkflow, '/actions/workflows/test.yml'],
  ])('%s (%s)', validatesAnswer(answer))

  it.each([
    [OPERATIONS.getRepository, '/repos/octo-org/vault'],
    [OPERATIONS.getRepository, '/repos/mona/dotfiles'],
    [OPERATIONS.organizationRepositories, '/orgs/octo-org/repos'],
    [OPERATIONS.userRepositories, '/users/mona/repos'],
  ])('%s (%s)', validatesAnswer(answerOf))

  it('lists every seeded repository of an owner, so the checks above cover them', async () => {
    const repositories = (await answerOf('/orgs/octo-org/repos')) as { archived: boolean }[]

    expect(repositories.map((repository) => repository.archived)).toEqual([true, false])
  })

  it('rejects a listed repository lacking its full_name', async () => {
    const body = (await answerOf('/users/mona/repos')) as Record<string, unknown>[]
    delete body[0].full_name

    expect(validators[OPERATIONS.userRepositories](body)).toBe(false)
  })

  it('has listings with every seeded item in them, so the checks above cover them all', async () => {
    const artifacts = (await answer('/actions/artifacts')) as { artifacts: unknown[] }
    const runs = (await answer('/actions/runs')) as { workflow_runs: unknown[] }

    expect(artifacts.artifacts).toHaveLength(3)
    expect(runs.workflow_runs).toHaveLength(3)
  })

  it.each([
    [OPERATIONS.getArtifact, '/actions/artifacts/1', 'archive_download_url'],
    [OPERATIONS.getRun, '/actions/runs/10', 'head_commit'],
    [OPERATIONS.getWorkflow, '/actions/workflows/test.yml', 'badge_url'],
  ])(
    'rejects a %s answer missing a required field (%s without %s)',
    async (operation, path, field) => {
      const body = (await answer(path)) as Record<string, unknown>
      delete body[field]

      expect(validators[operation](body)).toBe(false)
      expect(validators[operation].errors?.[0]?.params).toMatchObject({ missingProperty: field })
    },
  )

  it('follows $refs into nested schemas: a run whose repository lacks its owner fails', async () => {
    const body = (await answer('/actions/runs/10')) as { repository: Record<string, unknown> }
    delete body.repository.owner

    expect(validators[OPERATIONS.getRun](body)).toBe(false)
    expect(validators[OPERATIONS.getRun].errors?.[0]?.instancePath).toBe('/repository')
  })

  it('rejects a listed artifact whose field has the wrong type', async () => {
    const body = (await answer('/actions/artifacts')) as { artifacts: Record<string, unknown>[] }
    body.artifacts[1].size_in_bytes = '12'

    expect(validators[OPERATIONS.listArtifacts](body)).toBe(false)
  })
})
