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

/**
 * Per artifact name across every repository, largest `total_bytes` first. Counted as the records
 * pass: a listing of 100,000 names keeps no group of records, and no set, per name.
 */
export function nameTotals(records: ArtifactRecord[]): NameTotal[] {
  const totals = new Map<string, NameCount>()
  for (const record of records) {
    const count = totals.get(record.name)
    if (!count) {
      totals.set(record.name, {
        total: { name: record.name, ...firstCount(record), repositories: 1 },
        firstRepository: record.repository,
      })
      continue
    }
    add(count.total, record)
    if (record.repository === count.firstRepository) continue
    count.others ??= new Set()
    count.others.add(record.repository)
    count.total.repositories = 1 + count.others.size
  }
  return largestFirst(
    Array.from(totals.values(), (count) => count.total),
    (total) => total.name,
  )
}

/**
 * A name's total as the records pass. The repositories holding it are counted without a set for
 * the many names only one repository holds.
 */
interface NameCount {
  total: NameTotal
  firstRepository: string
  others?: Set<string>
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
