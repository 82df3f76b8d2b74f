import type { ApiSession, RepositoryInfo } from '../api.js'
import { SettingError } from '../errors.js'
import type { Reporter } from '../reporter.js'
import { fullName, type Operation, type RepositoryPattern } from '../request.js'

/** What the step does with the repositories it resolves to. */
export interface RepositoryUse {
  operation: Operation
  /** It deletes artifacts (`delete`, or a download that deletes what it took). */
  deletes: boolean
}

/**
 * The repositories the `repository` lines name, each once, in the order of the lines. A glob
 * line lists its owner's repositories (each owner once, whatever number of lines name it).
 * A step that deletes needs to know which repositories are archived (they are read-only), so
 * its exact lines are looked up unless an owner listing already described them; any other step
 * reads them as given. `download` must end with exactly one repository, before any artifact is
 * requested.
 */
export async function resolveRepositories(
  patterns: RepositoryPattern[],
  { operation, deletes }: RepositoryUse,
  session: ApiSession,
  reporter: Reporter,
): Promise<RepositoryInfo[]> {
  const listings = await listOwners(patterns, session)
  const resolved = await Promise.all(
    patterns.map(async (pattern) => {
      const listed = listings.get(pattern.owner.toLowerCase())
      if (pattern.name.kind !== 'exact') return matching(pattern, listed ?? [], reporter)
      const known = listed?.find((info) => sameName(info, pattern.name.source))
      if (known) return [known]
      const repository = { owner: pattern.owner, repo: pattern.name.source }
      return deletes
        ? [await session.describeRepository(repository)]
        : [{ repository, archived: false }]
    }),
  )
  const unique = uniqueByName(resolved.flat())
  if (operation === 'download' && unique.length !== 1) {
    throw new SettingError(
      'repository',
      () =>
        `operation 'download' takes one repository; the lines given resolve to ${unique.length}` +
        (unique.length ? `: ${unique.map((info) => fullName(info.repository)).join(', ')}` : ''),
    )
  }
  if (patterns.some((pattern) => pattern.name.kind !== 'exact')) {
    const names = unique.map((info) => fullName(info.repository))
    reporter.info(`${unique.length} repositories: ${firstOf(names).join(', ')}`)
  }
  return unique
}

/** The first few items of a list that may hold thousands, for one readable message. */
export function firstOf(items: string[], shown = 10): string[] {
  const more = items.length - shown
  return more > 0 ? [...items.slice(0, shown), `${more} more`] : items
}

/** The listing of every owner a glob line names, keyed by lower-case login. */
async function listOwners(
  patterns: RepositoryPattern[],
  session: ApiSession,
): Promise<Map<string, RepositoryInfo[]>> {
  const owners = new Map<string, string>()
  for (const { owner, name } of patterns) {
    if (name.kind !== 'exact') owners.set(owner.toLowerCase(), owner)
  }
  const entries = await Promise.all(
    [...owners].map(async ([key, owner]) => [key, await session.ownerRepositories(owner)] as const),
  )
  return new Map(entries)
}

function matching(
  pattern: RepositoryPattern,
  listed: RepositoryInfo[],
  reporter: Reporter,
): RepositoryInfo[] {
  const matched = listed.filter((info) => pattern.name.matches(info.repository.repo))
  if (matched.length === 0) {
    reporter.warning(
      `'${pattern.owner}/${pattern.name.source}' matches none of the ${listed.length} repositories the token can list of ${pattern.owner}`,
    )
  }
  return matched
}

/** GitHub's repository names are case-insensitive. */
function sameName(info: RepositoryInfo, name: string): boolean {
  return info.repository.repo.toLowerCase() === name.toLowerCase()
}

function uniqueByName(infos: RepositoryInfo[]): RepositoryInfo[] {
  const seen = new Map<string, RepositoryInfo>()
  for (const info of infos) {
    const key = fullName(info.repository).toLowerCase()
    if (!seen.has(key)) seen.set(key, info)
  }
  return [...seen.values()]
}
