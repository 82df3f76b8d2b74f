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
  return groupTotals(records, (record) => record.repository).map(([repository, group]) => ({
    repository,
    count: group.length,
    total_bytes: bytesOf(group),
  }))
}

/** Per artifact name across every repository, largest `total_bytes` first. */
export function nameTotals(records: ArtifactRecord[]): NameTotal[] {
  return groupTotals(records, (record) => record.name).map(([name, group]) => ({
    name,
    count: group.length,
    total_bytes: bytesOf(group),
    repositories: new Set(group.map((record) => record.repository)).size,
  }))
}

/** The records grouped by key, largest summed size first, then by key for a stable order. */
function groupTotals(
  records: ArtifactRecord[],
  keyOf: (record: ArtifactRecord) => string,
): [string, ArtifactRecord[]][] {
  const groups = new Map<string, ArtifactRecord[]>()
  for (const record of records) {
    const key = keyOf(record)
    const group = groups.get(key)
    if (group) group.push(record)
    else groups.set(key, [record])
  }
  return [...groups].sort(
    ([keyA, a], [keyB, b]) => bytesOf(b) - bytesOf(a) || keyA.localeCompare(keyB),
  )
}

export function bytesOf(records: ArtifactRecord[]): number {
  return records.reduce((sum, record) => sum + record.size_in_bytes, 0)
}
