/**
 * An artifact, reduced to the fields the product reads as each page of a listing arrives: a
 * listing of 100,000 artifacts keeps these, not every REST object whole.
 */
export interface Artifact {
  id: number
  name: string
  size_in_bytes: number
  expired: boolean
  created_at: string | null
  expires_at: string | null
  digest?: string | null
  workflow_run?: {
    id?: number
    repository_id?: number
    /** Null when the run's head repository (a fork) has been deleted. */
    head_repository_id?: number | null
    head_branch?: string
    head_sha?: string
  } | null
}

/** One element of the `artifacts` output. */
export interface ArtifactRecord {
  /** `owner/name` of the repository holding it. */
  repository: string
  id: number
  name: string
  size_in_bytes: number
  created_at: string | null
  expires_at: string | null
  expired: boolean
  digest: string | null
  run_id: number | null
  head_branch: string | null
  head_sha: string | null
  path?: string
}

export function toRecord(artifact: Artifact, repository: string, path?: string): ArtifactRecord {
  const run = artifact.workflow_run ?? {}
  return {
    repository,
    id: artifact.id,
    name: artifact.name,
    size_in_bytes: artifact.size_in_bytes,
    created_at: artifact.created_at,
    expires_at: artifact.expires_at,
    expired: artifact.expired,
    digest: artifact.digest ?? null,
    run_id: run.id ?? null,
    head_branch: run.head_branch ?? null,
    head_sha: run.head_sha ?? null,
    ...(path === undefined ? {} : { path }),
  }
}

/** What ordering by age needs: an artifact, or its record. */
type Dated = Pick<Artifact, 'id' | 'created_at'>

/** Newest first: by `created_at`, then by `id`, so ties are deterministic. */
export function compareNewestFirst(a: Dated, b: Dated): number {
  const byTime = Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? '')
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime
  return b.id - a.id
}

/**
 * Whether the run that made the artifact came from a fork: its head repository is not the
 * repository (or is gone), so a pull request's author controlled what the run uploaded.
 * 'unknown' when the artifact does not say.
 */
export function forkStatus(artifact: Artifact): 'fork' | 'same' | 'unknown' {
  const run = artifact.workflow_run
  if (!run || run.head_repository_id === undefined || run.repository_id === undefined) {
    return 'unknown'
  }
  return run.head_repository_id === run.repository_id ? 'same' : 'fork'
}
