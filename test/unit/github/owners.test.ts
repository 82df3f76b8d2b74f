import { describe, expect, it } from '@jest/globals'
import { resolveRepositories, type RepositoryUse } from '../../../src/core/select/repositories.js'
import { parsePatterns } from '../../../src/core/patterns.js'
import type { Operation, RepositoryPattern } from '../../../src/core/request.js'
import { explainError } from '../../../src/core/errors.js'
import type { SeedRepository } from '../../support/emulator/index.js'
import { emulatorSession, recordingReporter, useEmulator } from '../../support/fixtures.js'

const start = useEmulator()

const REPOSITORIES: SeedRepository[] = [
  { owner: 'octo-org', name: 'web-app' },
  { owner: 'octo-org', name: 'old', archived: true },
  { owner: 'mona', name: 'dotfiles', archived: true },
]

function patterns(...lines: string[]): RepositoryPattern[] {
  return lines.map((line) => {
    const [owner, name] = line.split('/')
    return { owner, name: parsePatterns('repository', name)[0] }
  })
}

async function resolve(use: Operation | RepositoryUse, ...lines: string[]) {
  const server = await start([], {
    seed: { runs: [], repositories: REPOSITORIES, users: ['mona'] },
  })
  const reporter = recordingReporter()
  const resolved = await resolveRepositories(
    patterns(...lines),
    typeof use === 'string' ? { operation: use, deletes: use === 'delete' } : use,
    emulatorSession(server, reporter),
    reporter,
  )
  const described = resolved.map(
    ({ repository, archived }) =>
      `${repository.owner}/${repository.repo}${archived ? ' (archived)' : ''}`,
  )
  return { described, server }
}

describe('resolving repository lines', () => {
  it("lists an organisation's repositories, and a user's after the organisation listing's 404", async () => {
    const { described, server } = await resolve('list', 'octo-org/*', 'mona/*')

    expect(described).toEqual([
      'octo-org/octo-repo',
      'octo-org/old (archived)',
      'octo-org/web-app',
      'mona/dotfiles (archived)',
    ])
    expect(server.requests.map((r) => `${r.path} ${r.status}`).sort()).toEqual([
      '/orgs/mona/repos 404',
      '/orgs/octo-org/repos 200',
      '/users/mona/repos 200',
    ])
  })

  it('reads an exact line as given for list, without a request', async () => {
    const { described, server } = await resolve('list', 'mona/dotfiles')

    expect(described).toEqual(['mona/dotfiles'])
    expect(server.requests).toEqual([])
  })

  it('looks an exact line up for delete, to learn it is archived', async () => {
    const { described, server } = await resolve('delete', 'mona/DOTFILES')

    expect(described).toEqual(['mona/dotfiles (archived)'])
    expect(server.requests.map((r) => r.path)).toEqual(['/repos/mona/DOTFILES'])
  })

  it('looks an exact line up for a download that deletes what it took', async () => {
    const { described, server } = await resolve(
      { operation: 'download', deletes: true },
      'octo-org/old',
    )

    expect(described).toEqual(['octo-org/old (archived)'])
    expect(server.requests.map((r) => r.path)).toEqual(['/repos/octo-org/old'])
  })

  it('takes what an owner listing already said of an exact line, without looking it up again', async () => {
    const { described, server } = await resolve('delete', 'octo-org/web-*', 'octo-org/old')

    expect(described).toEqual(['octo-org/web-app', 'octo-org/old (archived)'])
    expect(server.requests.map((r) => r.path)).toEqual(['/orgs/octo-org/repos'])
  })

  it('names the repository setting when an owner is unknown', async () => {
    const failure = await resolve('list', 'nobody/*').then(
      () => undefined,
      (error: unknown) => error,
    )

    expect(explainError(failure, (setting) => `input ${setting}`)).toMatch(
      /^Listing the repositories of 'nobody' in nobody failed: HTTP 404 .*Check `input repository`/,
    )
  })
})
