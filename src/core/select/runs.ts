import type { Artifact } from '../artifact.js'
import type {
  ArtifactClient,
  ArtifactQuery,
  PullRequestHead,
  RunListingFilters,
  WorkflowRun,
} from '../api.js'
import type { RunFilters } from '../request.js'

/**
 * GitHub answers a runs listing filtered by branch, event, status or head SHA with at most this
 * many runs, whatever the listing's `total_count` says; a listing that reaches it may be cut.
 */
const FILTERED_LISTING_CAP = 1000
const FULL_SHA = /^[0-9a-f]{40}$/

/** The run filters, with the head of the pull request asked for once it has been looked up. */
export interface RunCriteria {
  filters: RunFilters
  pullRequest?: PullRequestHead
}

/**
 * Looks up what the filters need beyond a run's own fields: the pull request's head, since
 * GitHub lists no pull request on runs whose head repository is a fork.
 */
export async function resolveCriteria(
  filters: RunFilters,
  client: ArtifactClient,
): Promise<RunCriteria> {
  if (filters.pullRequest === undefined) return { filters }
  return { filters, pullRequest: await client.getPullRequest(filters.pullRequest) }
}

/** Every filter but `workflow`, which a run answers only through its workflow's id. */
export function runMatches(run: WorkflowRun, { filters, pullRequest }: RunCriteria): boolean {
  if (filters.branch !== undefined && run.head_branch !== filters.branch) return false
  if (filters.commit !== undefined && !run.head_sha.startsWith(filters.commit)) return false
  if (filters.event !== undefined && run.event !== filters.event) return false
  if (filters.conclusion !== undefined && run.conclusion !== filters.conclusion) return false
  return pullRequest === undefined || isRunOf(run, pullRequest)
}

/**
 * A same-repository pull request's runs name it in `pull_requests`; a fork's runs name none, so
 * they are known by the head commit and head repository the pull request reports. Once the fork
 * is deleted, the pull request and its runs both answer that repository as null.
 */
function isRunOf(run: WorkflowRun, pullRequest: PullRequestHead): boolean {
  if ((run.pull_requests ?? []).some((pr) => pr.number === pullRequest.number)) return true
  return (
    run.head_sha === pullRequest.sha &&
    (run.head_repository?.id ?? null) === pullRequest.repositoryId
  )
}

/** What the server can filter the runs listing on, for these criteria. */
function listingFilters({ filters, pullRequest }: RunCriteria): RunListingFilters {
  const listing: RunListingFilters = {
    branch: filters.branch ?? pullRequest?.ref,
    event: filters.event,
    status: filters.conclusion,
    head_sha:
      filters.commit !== undefined && FULL_SHA.test(filters.commit) ? filters.commit : undefined,
  }
  return Object.fromEntries(Object.entries(listing).filter(([, value]) => value !== undefined))
}

/** How far a scan of the runs listing went, for messages that say how far back it looked. */
export interface RunScan {
  /** Runs read from the listing, matching or not. */
  read: number
  /** Creation time of the oldest run read. */
  oldest?: string
}

/**
 * The runs matching the criteria (of the filtered workflow, when there is one), newest first,
 * filtered on the server where it can. A server-filtered listing that reaches GitHub's cap may
 * have been cut, so it is then read again unfiltered and filtered here. Stops after `limit` runs
 * read, when given; `scan` says how far it went.
 */
export async function* matchingRuns(
  criteria: RunCriteria,
  client: ArtifactClient,
  scan: RunScan = { read: 0 },
  limit = Infinity,
): AsyncIterable<WorkflowRun> {
  const filters = listingFilters(criteria)
  const filtered = Object.keys(filters).length > 0
  for await (const page of client.runPages(criteria.filters.workflow, filters)) {
    // Only a scan going past the cap needs the runs a cut listing leaves out: the cap keeps the
    // newest.
    if (filtered && limit > FILTERED_LISTING_CAP && page.totalCount >= FILTERED_LISTING_CAP) {
      yield* readListing(client.runPages(criteria.filters.workflow), criteria, scan, limit)
      return
    }
    yield* readListing([page], criteria, scan, limit)
    if (scan.read >= limit) return
  }
}

async function* readListing(
  pages: AsyncIterable<{ runs: WorkflowRun[] }> | { runs: WorkflowRun[] }[],
  criteria: RunCriteria,
  scan: RunScan,
  limit: number,
): AsyncIterable<WorkflowRun> {
  for await (const page of pages) {
    for (const run of page.runs) {
      if (scan.read >= limit) return
      scan.read++
      scan.oldest = run.created_at
      if (runMatches(run, criteria)) yield run
    }
  }
}

/** A run's artifacts, each told which run made it when the API leaves that out. */
export async function artifactsOfRun(
  run: WorkflowRun,
  client: ArtifactClient,
  name?: string,
): Promise<Artifact[]> {
  const query: ArtifactQuery = { runId: run.id, name }
  return attributed(await client.listArtifacts(query), run)
}

/**
 * GitHub Enterprise Server's artifacts carry no `workflow_run`: artifacts listed for a run get
 * that run's fields, so its branch, commit and head repository are known.
 */
export function attributed(artifacts: Artifact[], run: WorkflowRun): Artifact[] {
  return artifacts.map((artifact) =>
    hasRunFields(artifact)
      ? artifact
      : {
          ...artifact,
          workflow_run: {
            id: run.id,
            repository_id: run.repository.id,
            head_repository_id: run.head_repository?.id ?? null,
            head_branch: run.head_branch ?? undefined,
            head_sha: run.head_sha,
          },
        },
  )
}

/** The artifact says which run made it, and that run's repository. */
export function hasRunFields(artifact: Artifact): boolean {
  const run = artifact.workflow_run
  return run?.id !== undefined && run.repository_id !== undefined
}

/** The run's commit came from another repository than the run's own, or from one now gone. */
export function isForkRun(run: WorkflowRun): boolean {
  return run.head_repository?.id !== run.repository.id
}
