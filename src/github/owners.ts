import type { RepositoryInfo } from '../core/api.js'
import type { Repository } from '../core/request.js'
import { ApiError, callApi, hasNextPage, PER_PAGE, type ApiCall } from './client.js'
import type { Octokit } from './octokit.js'

/** The fields of a repository object this product reads. */
interface RestRepository {
  name: string
  owner: { login: string }
  archived?: boolean
}

function toInfo(repository: RestRepository): RepositoryInfo {
  return {
    repository: { owner: repository.owner.login, repo: repository.name },
    archived: repository.archived ?? false,
  }
}

/** GET /repos/{owner}/{repo}: the repository's canonical spelling and its archived state. */
export async function describeRepository(
  octokit: Octokit,
  { owner, repo }: Repository,
): Promise<RepositoryInfo> {
  const call: ApiCall = {
    action: 'Reading the repository',
    permission: 'metadata: read',
    setting: 'repository',
  }
  const response = await callApi(call, `${owner}/${repo}`, () =>
    octokit.rest.repos.get({ owner, repo }),
  )
  return toInfo(response.data)
}

/**
 * An owner's repositories, every page: `GET /orgs/{owner}/repos`, which answers 404 when the
 * owner is a user, then `GET /users/{owner}/repos`. Sorted by name, so that a repository created
 * while the pages are read cannot push another from one page to the next.
 */
export async function listOwnerRepositories(
  octokit: Octokit,
  owner: string,
): Promise<RepositoryInfo[]> {
  const call: ApiCall = {
    action: `Listing the repositories of '${owner}'`,
    permission: 'metadata: read',
    setting: 'repository',
  }
  const common = { per_page: PER_PAGE, sort: 'full_name' as const }
  try {
    return await readPages(call, owner, (page) =>
      octokit.rest.repos.listForOrg({ ...common, org: owner, page }),
    )
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error
  }
  return readPages(call, owner, (page) =>
    octokit.rest.repos.listForUser({ ...common, username: owner, page }),
  )
}

async function readPages(
  call: ApiCall,
  owner: string,
  readPage: (page: number) => Promise<{ data: RestRepository[]; headers: { link?: string } }>,
): Promise<RepositoryInfo[]> {
  const repositories: RepositoryInfo[] = []
  for (let page = 1; ; page++) {
    const response = await callApi(call, owner, () => readPage(page))
    repositories.push(...response.data.map(toInfo))
    if (!hasNextPage(response.headers.link)) return repositories
  }
}
