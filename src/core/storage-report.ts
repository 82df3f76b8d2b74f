import type { ArtifactRecord } from './artifact.js'

/** One element of the `repositories` output: what a repository's selected artifacts hold. */
export interface RepositoryTotal {
  repository: string
  count: number
  total_bytes: number
}

/** What the artifacts of one name hold across every repository. */
export interface NameTotal {
  name: string
  count: number
  total_bytes: number
  /** How many repositories hold an artifact of this name. */
  repositories: number
}

/** Per repository holding at least one of the records, largest `total_bytes` first. */
export function repositoryTotals(records: ArtifactRecord[]): RepositoryTotal[] {
  const totals = new Map<string, RepositoryTotal>()
  for (const record of records) {
    const total = totals.get(record.repository)
    if (total) add(total, record)
    else totals.set(record.repository, { repository: record.repository, ...firstCount(record) })
  }
  return largestFirst([...totals.values()], (total) => total.repository)
}

/** The names holding the most bytes, and how many names there are in all. */
interface LargestNames {
  largest: NameTotal[]
  nameCount: number
}

/**
 * The `limit` names holding the most bytes across every repository, largest `total_bytes` first,
 * then by name. Counted as the records pass, in columns indexed by name: a listing of 100,000
 * names makes an object only for the names it returns, and a set only for a name that several
 * repositories hold.
 */
export function largestNames(records: ArtifactRecord[], limit: number): LargestNames {
  const indexOf = new Map<string, number>()
  const names: string[] = []
  const counts: number[] = []
  const bytes: number[] = []
  const firstRepositories: string[] = []
  const otherRepositories = new Map<number, Set<string>>()
  for (const record of records) {
    let index = indexOf.get(record.name)
    if (index === undefined) {
      index = names.length
      indexOf.set(record.name, index)
      names.push(record.name)
      counts.push(0)
      bytes.push(0)
      firstRepositories.push(record.repository)
    }
    counts[index]++
    bytes[index] += record.size_in_bytes
    if (record.repository !== firstRepositories[index]) {
      const others = otherRepositories.get(index) ?? new Set<string>()
      otherRepositories.set(index, others.add(record.repository))
    }
  }
  const largerFirst = (a: number, b: number): number =>
    bytes[b] - bytes[a] || names[a].localeCompare(names[b])
  const largest = topIndexes(names.length, limit, largerFirst).map((index) => ({
    name: names[index],
    count: counts[index],
    total_bytes: bytes[index],
    repositories: 1 + (otherRepositories.get(index)?.size ?? 0),
  }))
  return { largest, nameCount: names.length }
}

/** The first `limit` of the indexes 0..count-1 in the given order, without sorting them all. */
function topIndexes(
  count: number,
  limit: number,
  order: (a: number, b: number) => number,
): number[] {
  const top: number[] = []
  for (let index = 0; index < count; index++) {
    if (top.length === limit && order(index, top[limit - 1]) >= 0) continue
    if (top.length === limit) top.pop()
    let at = top.length
    while (at > 0 && order(index, top[at - 1]) < 0) at--
    top.splice(at, 0, index)
  }
  return top
}

function firstCount(record: ArtifactRecord): { count: number; total_bytes: number } {
  return { count: 1, total_bytes: record.size_in_bytes }
}

function add(total: { count: number; total_bytes: number }, record: ArtifactRecord): void {
  total.count++
  total.total_bytes += record.size_in_bytes
}

/** Largest summed size first, then by key for a stable order. */
function largestFirst<T extends { total_bytes: number }>(
  totals: T[],
  keyOf: (total: T) => string,
): T[] {
  return totals.sort((a, b) => b.total_bytes - a.total_bytes || keyOf(a).localeCompare(keyOf(b)))
}

export function bytesOf(records: ArtifactRecord[]): number {
  return records.reduce((sum, record) => sum + record.size_in_bytes, 0)
}
