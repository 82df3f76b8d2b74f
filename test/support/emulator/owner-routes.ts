import { notFound, type Answer } from './answers.js'
import { paginate } from './pagination.js'
import type { HostedRepository, Repositories } from './repositories.js'
import { minimalRepositoryJson } from './repository-json.js'
import { canSee, type TokenGrant } from './tokens.js'

const ORGANIZATION_REPOSITORIES = /^\/orgs\/([^/]+)\/repos$/
const USER_REPOSITORIES = /^\/users\/([^/]+)\/repos$/

type Filter = (repository: HostedRepository) => boolean

/** GET /orgs/{org}/repos `type`s that narrow the list; 'all', 'sources' and 'member' do not. */
const ORGANIZATION_TYPES: Record<string, Filter> = {
  public: (repository) => !repository.private,
  private: (repository) => repository.private,
  // No emulated repository is a fork.
  forks: () => false,
}

/**
 * The owner listings, or undefined for another path. Sorting and paging follow
 * docs.github.com/rest/repos/repos (list organization / user repositories).
 */
export function answerOwnerListing(
  repositories: Repositories,
  grant: TokenGrant,
  path: string,
  url: URL,
  origin: string,
): Answer | undefined {
  const organization = ORGANIZATION_REPOSITORIES.exec(path)
  if (organization) {
    const owner = repositories.owner(decodeURIComponent(organization[1]))
    // A user's login is no organisation: 404, as for an unknown one.
    if (owner?.type !== 'Organization') return notFound()
    const narrow = ORGANIZATION_TYPES[url.searchParams.get('type') ?? 'all'] ?? (() => true)
    const listed = repositories
      .ownedBy(owner.login)
      .filter((repository) => canSee(grant, repository) && narrow(repository))
    return listing(sorted(listed, url, 'created'), url, origin)
  }
  const user = USER_REPOSITORIES.exec(path)
  if (user) {
    const owner = repositories.owner(decodeURIComponent(user[1]))
    if (!owner) return notFound()
    // Public repositories only, for an organisation's login too (its owner objects link here
    // as repos_url); 'member' means repositories the account collaborates on but does not own.
    const member = url.searchParams.get('type') === 'member'
    const listed = member ? [] : repositories.ownedBy(owner.login).filter((r) => !r.private)
    return listing(sorted(listed, url, 'full_name'), url, origin)
  }
  return undefined
}

/** `direction` defaults to asc for full_name, desc otherwise. */
function sorted(items: HostedRepository[], url: URL, defaultSort: string): HostedRepository[] {
  const byName = (url.searchParams.get('sort') ?? defaultSort) === 'full_name'
  const direction = url.searchParams.get('direction') ?? (byName ? 'asc' : 'desc')
  // created, updated and pushed agree: nothing is pushed to an emulated repository later.
  const ascending = items.toSorted(byName ? byFullName : byCreation)
  return direction === 'desc' ? ascending.reverse() : ascending
}

function byFullName(a: HostedRepository, b: HostedRepository): number {
  return a.fullName.toLowerCase().localeCompare(b.fullName.toLowerCase())
}

function byCreation(a: HostedRepository, b: HostedRepository): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id - b.id
}

function listing(items: HostedRepository[], url: URL, origin: string): Answer {
  const page = paginate(items, url, origin)
  return {
    status: 200,
    body: page.items.map(minimalRepositoryJson),
    headers: page.link ? { link: page.link } : {},
  }
}
