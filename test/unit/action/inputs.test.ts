import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { readActionSettings } from '../../../src/action/inputs.js'
import { describeFailure } from '../../../src/action/reporter.js'
import { SettingError } from '../../../src/core/errors.js'

// Every input the action declares: asking for any other name is a typo.
const INPUT_NAMES = [
  'operation',
  'github-token',
  'repository',
  'run-id',
  'name',
  'exclude',
  'workflow',
  'branch',
  'event',
  'commit',
  'pull-request',
  'workflow-conclusion',
  'allow-forks',
  'path',
  'merge-multiple',
  'extract',
  'delete-after-download',
  'cache',
  'if-no-artifact-found',
  'older-than',
  'keep-latest',
  'min-size',
  'dry-run',
  'max-deletions',
]

const WORKSPACE = path.resolve('/home/runner/app')
const ENV = { GITHUB_REPOSITORY: 'octo-org/hello.world', GITHUB_WORKSPACE: WORKSPACE }

type Inputs = Record<string, string>

function read(inputs: Inputs, env: NodeJS.ProcessEnv = ENV) {
  const getInput = (name: string) => {
    if (!INPUT_NAMES.includes(name)) throw new Error(`asked for unknown input '${name}'`)
    return inputs[name] ?? ''
  }
  const { request, token } = readActionSettings(getInput, env)
  const download = request.operation === 'download' ? request.download : undefined
  const remove = request.operation === 'delete' ? request.delete : undefined
  return { ...request, ...request.query, ...download, ...remove, token }
}

/** Inputs for an operation with what every run needs. */
function given(operation: string, inputs: Inputs = {}): Inputs {
  return { operation, 'github-token': 'ghs_secret', ...inputs }
}

/** The refusal of these inputs: the input at fault, and the message the step fails with. */
function inputError(inputs: Inputs, env: NodeJS.ProcessEnv = ENV): InputRefusal {
  try {
    read(inputs, env)
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError)
    return { input: (error as SettingError).setting, message: describeFailure(error) }
  }
  throw new Error('expected a SettingError, the inputs were accepted')
}

interface InputRefusal {
  input: string
  message: string
}

describe('readSettings defaults', () => {
  it('fills every setting for a bare list', () => {
    const settings = readActionSettings((name) => given('list')[name] ?? '', ENV)
    expect(settings).toEqual({
      token: 'ghs_secret',
      apiUrl: 'https://api.github.com',
      request: {
        operation: 'list',
        repositories: [
          {
            owner: 'octo-org',
            name: expect.objectContaining({ kind: 'exact', source: 'hello.world' }),
          },
        ],
        ifNoArtifactFound: 'warn',
        query: {
          runId: undefined,
          names: [],
          exclude: [],
          runFilters: {},
          olderThanMs: undefined,
          keepLatest: 0,
          minSize: undefined,
        },
      },
    })
  })

  it('fills every download option for a bare download', () => {
    expect(read(given('download'), { ...ENV, GITHUB_RUN_ID: '9876' })).toMatchObject({
      currentRunId: 9876,
      allowForks: false,
      path: WORKSPACE,
      mergeMultiple: false,
      extract: true,
      deleteAfterDownload: false,
      cache: false,
    })
  })

  it('fills every delete option for a narrowed delete', () => {
    expect(read(given('delete', { name: 'dist' }))).toMatchObject({
      dryRun: false,
      maxDeletions: undefined,
    })
  })

  it.each([
    ['download', 'fail'],
    ['list', 'warn'],
    ['delete', 'warn'],
  ])('makes if-no-artifact-found %s for %s', (operation, expected) => {
    const narrowed: Inputs = operation === 'delete' ? { name: 'dist' } : {}
    expect(read(given(operation, narrowed)).ifNoArtifactFound).toBe(expected)
  })

  it('takes an explicit if-no-artifact-found over the default', () => {
    const inputs = given('download', { 'if-no-artifact-found': 'ignore' })
    expect(read(inputs).ifNoArtifactFound).toBe('ignore')
  })

  it('takes the repository input over GITHUB_REPOSITORY', () => {
    const settings = read(given('list', { repository: 'Other_Org/some-repo_2' }))
    expect(settings.repositories).toMatchObject([
      { owner: 'Other_Org', name: { kind: 'exact', source: 'some-repo_2' } },
    ])
  })

  it('takes one repository or owner glob a line, skipping blank lines', () => {
    const { repositories } = read(
      given('delete', { name: 'dist', repository: 'octo-org/web-*\n\n  mona/dotfiles  \nbig/*' }),
    )

    expect(repositories.map(({ owner, name }) => [owner, name.kind, name.source])).toEqual([
      ['octo-org', 'glob', 'web-*'],
      ['mona', 'exact', 'dotfiles'],
      ['big', 'glob', '*'],
    ])
    expect(repositories[0].name.matches('web-app')).toBe(true)
    expect(repositories[0].name.matches('api')).toBe(false)
  })

  it('refuses several repository lines for download, naming the input', () => {
    const { input, message } = inputError(given('download', { repository: 'a/b\na/c' }))

    expect(input).toBe('repository')
    expect(message).toContain("operation 'download' takes one repository, not 2 lines")
  })

  it('says to delete every artifact of the repositories as written when delete is not narrowed', () => {
    const { input, message } = inputError(given('delete', { repository: 'octo-org/*\nmona/x' }))

    expect(input).toBe('name')
    expect(message).toContain('every artifact of octo-org/*, mona/x')
  })

  it('accepts the same inputs as action.yml defaults spell them', () => {
    const defaults = {
      'allow-forks': 'false',
      'merge-multiple': 'false',
      extract: 'true',
      'delete-after-download': 'false',
      cache: 'false',
      'keep-latest': '0',
      'dry-run': 'false',
    }
    for (const operation of ['list', 'download', 'delete']) {
      // older-than rather than name: patterns hold functions, which toEqual cannot compare, so
      // the repository patterns are compared by what they say.
      const inputs = given(operation, { ...defaults, 'older-than': '1d' })
      expect(JSON.stringify(read(inputs))).toEqual(
        JSON.stringify(read(given(operation, { 'older-than': '1d' }))),
      )
    }
  })

  it.each(['', '0', '-3', 'abc'])('leaves currentRunId unset for GITHUB_RUN_ID %p', (runId) => {
    expect(read(given('download'), { ...ENV, GITHUB_RUN_ID: runId }).currentRunId).toBeUndefined()
  })
})

describe('path', () => {
  it('resolves a relative path against the workspace', () => {
    expect(read(given('download', { path: './out/dist' })).path).toBe(
      path.join(WORKSPACE, 'out', 'dist'),
    )
  })

  it('keeps an absolute path', () => {
    const absolute = path.resolve('/srv/artifacts')
    expect(read(given('download', { path: absolute })).path).toBe(absolute)
  })

  it('expands ~ to the home directory', () => {
    expect(read(given('download', { path: '~/dist' })).path).toBe(path.join(os.homedir(), 'dist'))
    expect(read(given('download', { path: '~' })).path).toBe(os.homedir())
  })

  it('falls back to the current directory without a workspace', () => {
    const env = { GITHUB_REPOSITORY: 'octo-org/hello.world' }
    expect(read(given('download'), env).path).toBe(process.cwd())
    expect(read(given('download', { path: 'out' }), env).path).toBe(path.resolve('out'))
  })
})

describe('parsed values', () => {
  it('reads numbers, durations, sizes, patterns and run filters', () => {
    const settings = read(
      given('delete', {
        'run-id': '0042',
        name: 'dist\nlogs-*',
        exclude: '/^release-/',
        workflow: 'build.yml',
        branch: 'feature/x',
        event: 'pull_request',
        commit: 'ABCDEF1',
        'pull-request': '17',
        'workflow-conclusion': 'failure',
        'older-than': '14d',
        'keep-latest': '3',
        'min-size': '1.5KB',
        'dry-run': 'TRUE',
        'max-deletions': '250',
      }),
    )
    expect(settings).toMatchObject({
      runId: 42,
      olderThanMs: 14 * 24 * 3600 * 1000,
      keepLatest: 3,
      minSize: 1536,
      dryRun: true,
      maxDeletions: 250,
      runFilters: {
        workflow: 'build.yml',
        branch: 'feature/x',
        event: 'pull_request',
        commit: 'abcdef1',
        pullRequest: 17,
        conclusion: 'failure',
      },
    })
    expect(settings.names.map((pattern) => [pattern.kind, pattern.source])).toEqual([
      ['exact', 'dist'],
      ['glob', 'logs-*'],
    ])
    expect(settings.exclude.map((pattern) => pattern.kind)).toEqual(['regex'])
  })

  it.each(['build.yaml', 'Deploy Prod.YML', '161335'])('accepts workflow %p', (workflow) => {
    expect(read(given('list', { workflow })).runFilters.workflow).toBe(workflow)
  })

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('reads the boolean %p', (text, value) => {
    expect(read(given('download', { 'merge-multiple': text })).mergeMultiple).toBe(value)
  })
})

describe('the download conclusion default', () => {
  it.each([
    ['workflow', 'build.yml'],
    ['branch', 'main'],
    ['event', 'push'],
    ['commit', 'abcdef1'],
    ['pull-request', '5'],
  ])('is success for a download filtered by %s', (input, value) => {
    expect(read(given('download', { [input]: value })).runFilters.conclusion).toBe('success')
  })

  it('gives way to an explicit workflow-conclusion', () => {
    const inputs = given('download', { branch: 'main', 'workflow-conclusion': 'failure' })
    expect(read(inputs).runFilters).toEqual({ branch: 'main', conclusion: 'failure' })
  })

  it("does not apply without run filters: the download takes the step's own run", () => {
    const inRun = { ...ENV, GITHUB_RUN_ID: '1234' }
    expect(read(given('download', { name: 'dist' }), inRun).runFilters).toEqual({})
  })

  it('is success outside any run, where the download searches for one', () => {
    expect(read(given('download', { name: 'dist' })).runFilters.conclusion).toBe('success')
  })

  it('does not apply to a run named by run-id', () => {
    const inputs = given('download', { 'run-id': '77', workflow: 'build.yml' })
    expect(read(inputs).runFilters).toEqual({ workflow: 'build.yml' })
  })

  it.each(['list', 'delete'])('does not apply to %s', (operation) => {
    expect(read(given(operation, { branch: 'main' })).runFilters).toEqual({ branch: 'main' })
  })
})

describe('required inputs', () => {
  it('refuses a missing operation and lists the valid ones', () => {
    const error = inputError({ 'github-token': 'ghs_secret' })
    expect(error.message).toBe("Input 'operation': required: one of list, download, delete")
  })

  it('refuses a missing token and says how to give one', () => {
    const error = inputError({ operation: 'list' })
    expect(error.input).toBe('github-token')
    expect(error.message).toContain('set github-token, or give the job a token')
  })

  it('refuses a missing repository when GITHUB_REPOSITORY is unset too', () => {
    const error = inputError(given('list'), { GITHUB_WORKSPACE: WORKSPACE })
    expect(error.input).toBe('repository')
    expect(error.message).toContain('required: set it to owner/name')
  })

  it('refuses a malformed GITHUB_REPOSITORY as the repository input', () => {
    const error = inputError(given('list'), { ...ENV, GITHUB_REPOSITORY: 'no-slash' })
    expect(error.message).toMatch(/^Input 'repository': 'no-slash' is not owner\/name/)
  })
})

describe('bad values', () => {
  it.each([
    ['operation', 'List'],
    ['operation', 'purge'],
    ['repository', 'octo-org'],
    ['repository', 'octo-org/hello/world'],
    ['repository', 'https://github.com/octo-org/hello'],
    ['repository', '-octo/hello'],
    ['repository', 'octo-/hello'],
    ['repository', 'octo--org/hello'],
    ['repository', 'octo/hello world'],
    ['repository', 'octo/'],
    ['repository', 'octo/..'],
    ['repository', 'octo/web-*/x'],
    ['repository', '*/web'],
    ['repository', 'octo/web app*'],
    ['run-id', '0'],
    ['run-id', '-1'],
    ['run-id', '1.5'],
    ['run-id', 'abc'],
    ['run-id', '12abc'],
    ['run-id', '1e3'],
    ['run-id', '99999999999999999999'],
    ['pull-request', '0'],
    ['pull-request', '#12'],
    ['max-deletions', '0'],
    ['max-deletions', '-5'],
    ['keep-latest', '-1'],
    ['keep-latest', '2.5'],
    ['keep-latest', 'all'],
    ['name', '/build-(/'],
    ['exclude', '/release/g'],
    ['workflow', '.github/workflows/build.yml'],
    ['workflow', 'build'],
    ['workflow', 'build.json'],
    ['workflow', '0'],
    ['branch', 'refs/heads/main'],
    ['event', 'pull-request'],
    ['event', 'Push'],
    ['commit', 'abc12'],
    ['commit', 'g123456'],
    ['commit', 'a'.repeat(41)],
    ['workflow-conclusion', 'succeeded'],
    ['workflow-conclusion', 'SUCCESS'],
    ['workflow-conclusion', 'in_progress'],
    ['allow-forks', 'yes'],
    ['allow-forks', 'tRue'],
    ['allow-forks', '1'],
    ['merge-multiple', 'on'],
    ['extract', 'no'],
    ['delete-after-download', 'y'],
    ['cache', 'always'],
    ['dry-run', 'maybe'],
    ['if-no-artifact-found', 'error'],
    ['if-no-artifact-found', 'Fail'],
    ['older-than', '14x'],
    ['older-than', 'P1M'],
    ['older-than', '0d'],
    ['min-size', '10XB'],
    ['min-size', '-1'],
    ['min-size', '0'],
  ])('refuses %s %p, naming the input and quoting the value', (input, value) => {
    // `download` accepts every option tested here, so only the bad value can be the error.
    const error = inputError({ ...given('download'), [input]: value })
    expect(error.input).toBe(input)
    expect(error.message.startsWith(`Input '${input}': `)).toBe(true)
    expect(error.message).toContain(`'${value}'`)
  })
})

describe('options that do not fit the operation', () => {
  it.each([
    ['keep-latest', '3'],
    ['dry-run', 'true'],
    ['max-deletions', '10'],
  ])('refuses %s for download, which has nothing to delete', (input, value) => {
    const error = inputError(given('download', { [input]: value }))
    expect(error.message).toBe(
      `Input '${input}': '${value}' cannot be used with operation 'download': ` +
        'it applies to list and delete only',
    )
  })

  it('accepts the deletion options for list, which shows what delete would delete', () => {
    const inputs = { 'keep-latest': '3', 'dry-run': 'true', 'max-deletions': '10' }
    expect(read(given('list', inputs))).toMatchObject({ operation: 'list', keepLatest: 3 })
  })

  it.each([
    ['allow-forks', 'true'],
    ['merge-multiple', 'true'],
    ['extract', 'false'],
    ['delete-after-download', 'true'],
    ['cache', 'true'],
  ])('refuses %s for list and delete', (input, value) => {
    for (const operation of ['list', 'delete']) {
      const error = inputError(given(operation, { name: 'dist', [input]: value }))
      expect(error.message).toBe(
        `Input '${input}': '${value}' cannot be used with operation '${operation}': ` +
          'it applies to download only',
      )
    }
  })

  it('ignores path for list and delete, as the runner always fills it', () => {
    expect(read(given('delete', { name: 'dist', path: 'out' })).operation).toBe('delete')
  })
})

describe('a delete with nothing to narrow it', () => {
  it('is refused with a pointer to name: *', () => {
    const error = inputError(given('delete'))
    expect(error.input).toBe('name')
    expect(error.message).toContain(
      "to really delete every artifact of octo-org/hello.world, set name: '*'",
    )
  })

  it('is refused even with exclude and keep-latest 0, which narrow nothing', () => {
    const error = inputError(given('delete', { exclude: 'release-*', 'keep-latest': '0' }))
    expect(error.input).toBe('name')
  })

  it.each([
    ['name', '*'],
    ['run-id', '12'],
    ['workflow', 'build.yml'],
    ['branch', 'main'],
    ['event', 'schedule'],
    ['commit', 'abcdef1'],
    ['pull-request', '3'],
    ['workflow-conclusion', 'failure'],
    ['older-than', '14d'],
    ['min-size', '1MB'],
    ['keep-latest', '1'],
  ])('is accepted once %s narrows it', (input, value) => {
    expect(read(given('delete', { [input]: value })).operation).toBe('delete')
  })
})
