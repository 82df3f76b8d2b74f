import { compareNewestFirst, isFromFork, type Artifact } from '../artifact.js'
import type { ArtifactClient, ArtifactQuery, WorkflowRun } from '../api.js'
import { mapConcurrently } from '../concurrency.js'
import { SettingError } from '../errors.js'
import { matchesAny, singleExactName } from '../patterns.js'
import type { Reporter } from '../reporter.js'
import {
  hasRunFilters,
  type DownloadOptions,
  type NamePattern,
  type Query,
  type RunFilters,
} from '../request.js'

/** What an operation acts on, and what was looked at to decide it. */
export interface Selection {
  /** The artifacts to list, download or delete, newest first. */
  selected: Artifact[]
  /** How many candidates `keep-latest` protected. */
  kept: number
  /** The run downloaded from, when the download scope is a single run. */
  runId?: number
  /** What was searched, in words, for "no artifact found" messages. */
  searched: string
}

/** Runs looked up at once when checking run filters. */
const RUN_LOOKUP_CONCURRENCY = 4
/** Up to this many runs are looked up one by one without trying the runs listing first. */
const FEW_RUNS = 3

/**
 * What `list` and `delete` act on: the run's or the repository's artifacts that match the query.
 * `list` and `delete` select alike, so a `list` shows exactly what `delete` would delete.
 */
export async function selectForListing(
  query: Query,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  const candidates = await listCandidates(query, query.runId, client, reporter)
  const { kept, rest } = splitKeepLatest(candidates.artifacts, query.keepLatest)
  const selected = rest.filter((artifact) => isOldAndLargeEnough(artifact, query))
  return { ...candidates, selected: selected.sort(compareNewestFirst), kept: kept.length }
}

/**
 * What `download` takes: the run asked for, else the newest run matching the run filters, else
 * the run this process belongs to. Artifacts of other runs made from forks are skipped unless
 * `allow-forks`; the current run's own are not, since it made them.
 */
export async function selectForDownload(
  query: Query,
  options: DownloadOptions,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  if (query.runId === undefined && hasRunFilters(query.runFilters)) {
    return searchRunForDownload(query, options.allowForks, client, reporter)
  }
  const runId = query.runId ?? options.currentRunId
  if (runId === undefined) {
    throw new SettingError(
      'run-id',
      (word) =>
        `no run to download from: give \`${word('run-id')}\` or a run filter such as \`${word('workflow')}\``,
    )
  }
  const candidates = await listCandidates(query, runId, client, reporter)
  const trusted =
    options.allowForks || runId === options.currentRunId
      ? candidates.artifacts
      : withoutUntrustedForks(candidates.artifacts, reporter)
  return { ...candidates, selected: trusted.sort(compareNewestFirst), kept: 0 }
}

interface Candidates {
  artifacts: Artifact[]
  runId?: number
  searched: string
}

/** The artifacts of the scope whose name and run match the query. */
async function listCandidates(
  query: Query,
  runId: number | undefined,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Candidates> {
  const scope = describeScope(client, query, runId)
  const listed = await client.listArtifacts(artifactQuery(query, runId))
  reporter.info(`Listed ${listed.length} artifact(s) in ${scope}`)
  const artifacts = await filterByRun(
    listed.filter((artifact) => isNameCandidate(query, artifact)),
    query.runFilters,
    client,
  )
  return { artifacts, runId, searched: `${scope}; ${listed.length} artifact(s) listed` }
}

/**
 * The newest run that matches the run filters and holds every exact name asked for (with
 * patterns, at least one match); artifacts of different runs are never mixed. Artifacts are
 * read newest first, a page at a time, so the search usually stops after the first page; runs
 * are looked up only for filters an artifact's own `workflow_run` cannot answer.
 */
async function searchRunForDownload(
  query: Query,
  allowForks: boolean,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  const rejectedRuns = new Set<number>()
  let listed = 0
  for await (const page of client.artifactPages(artifactQuery(query))) {
    listed += page.length
    const candidates = page.filter((a) => isSearchCandidate(query, a))
    for (const runId of runsInOrder(candidates)) {
      if (rejectedRuns.has(runId)) continue
      const seen = candidates.filter((a) => a.workflow_run?.id === runId)
      const found = await tryRun(runId, seen, { query, allowForks, client, reporter })
      if (found) return found
      rejectedRuns.add(runId)
    }
  }
  return {
    selected: [],
    kept: 0,
    searched:
      `${describeScope(client, query)}; ${listed} artifact(s) listed, ` +
      `${rejectedRuns.size} run(s) looked at` +
      (query.names.length ? `, none holding ${quoted(query.names)}` : ''),
  }
}

/** What a search for a run to download from works with. */
interface Search {
  query: Query
  allowForks: boolean
  client: ArtifactClient
  reporter: Reporter
}

async function tryRun(
  runId: number,
  seen: Artifact[],
  { query, allowForks, client, reporter }: Search,
): Promise<Selection | undefined> {
  const filters = query.runFilters
  if (needsRunLookup(filters)) {
    if (!(await runMatchesLookedUpFields(await client.getRun(runId), filters, client))) {
      return undefined
    }
  }
  if (isFromFork(seen[0]) && !allowForks) {
    reporter.warning(
      `Skipped run ${runId}: it was triggered from a fork, so its artifacts are untrusted (set ${reporter.word('allow-forks', 'true')} to accept them)`,
    )
    return undefined
  }
  // With the server's name filter the page already holds all of this run's wanted artifacts.
  const runArtifacts = singleExactName(query.names) ? seen : await client.listArtifacts({ runId })
  const wanted = runArtifacts.filter((a) => isNameCandidate(query, a) && !a.expired)
  if (!holdsWhatWasAsked(wanted, query)) return undefined
  reporter.info(`Run ${runId} is the newest run matching the filters`)
  return {
    selected: wanted.sort(compareNewestFirst),
    kept: 0,
    runId,
    searched: describeScope(client, query, runId),
  }
}

/** Every exact name asked for is there; with patterns only, at least one match. */
function holdsWhatWasAsked(artifacts: Artifact[], query: Query): boolean {
  const present = new Set(artifacts.map((a) => a.name))
  const exactNames = query.names.filter((p) => p.kind === 'exact').map((p) => p.source)
  return artifacts.length > 0 && exactNames.every((name) => present.has(name))
}

/** Run ids in the order their newest artifact appears. */
function runsInOrder(artifacts: Artifact[]): number[] {
  const ids = artifacts.map((a) => a.workflow_run?.id).filter((id) => id !== undefined)
  return [...new Set(ids)]
}

function isSearchCandidate(query: Query, artifact: Artifact): boolean {
  return (
    isNameCandidate(query, artifact) &&
    !artifact.expired &&
    matchesOwnRunFields(artifact, query.runFilters)
  )
}

function artifactQuery(query: Query, runId?: number): ArtifactQuery {
  return { runId, name: singleExactName(query.names) }
}

function isNameCandidate(query: Query, artifact: Artifact): boolean {
  const named = query.names.length === 0 || matchesAny(query.names, artifact.name)
  return named && !matchesAny(query.exclude, artifact.name)
}

/** Filters the artifact's own `workflow_run` answers, with no request. */
function matchesOwnRunFields(artifact: Artifact, filters: RunFilters): boolean {
  const run = artifact.workflow_run ?? {}
  if (filters.branch !== undefined && run.head_branch !== filters.branch) return false
  if (filters.commit !== undefined && !run.head_sha?.startsWith(filters.commit.toLowerCase())) {
    return false
  }
  return true
}

function needsRunLookup(filters: RunFilters): boolean {
  const { workflow, event, pullRequest, conclusion } = filters
  return [workflow, event, pullRequest, conclusion].some((value) => value !== undefined)
}

async function runMatchesLookedUpFields(
  run: WorkflowRun,
  filters: RunFilters,
  client: ArtifactClient,
): Promise<boolean> {
  if (!runMatchesItsOwnFields(run, filters)) return false
  if (filters.workflow === undefined) return true
  return run.workflow_id === (await client.getWorkflowId(filters.workflow))
}

/** The filters a run object answers by itself: all but `workflow`, which needs its id. */
function runMatchesItsOwnFields(run: WorkflowRun, filters: RunFilters): boolean {
  if (filters.event !== undefined && run.event !== filters.event) return false
  if (filters.conclusion !== undefined && run.conclusion !== filters.conclusion) return false
  return (
    filters.pullRequest === undefined ||
    (run.pull_requests ?? []).some((pr) => pr.number === filters.pullRequest)
  )
}

/** Keeps the artifacts whose run matches every run filter. */
async function filterByRun(
  artifacts: Artifact[],
  filters: RunFilters,
  client: ArtifactClient,
): Promise<Artifact[]> {
  const own = artifacts.filter((artifact) => matchesOwnRunFields(artifact, filters))
  if (!needsRunLookup(filters)) return own
  const matching = await matchingRuns(runsInOrder(own), filters, client)
  return own.filter((artifact) => matching.has(artifact.workflow_run?.id ?? -1))
}

/**
 * Which of these runs match the filters, in as few requests as possible: the runs listing (of the
 * filtered workflow, whose runs need no workflow look-up) answers for many runs a page, while a
 * look-up answers for one; the listing is read while that costs fewer requests than looking the
 * remaining runs up.
 */
async function matchingRuns(
  runIds: number[],
  filters: RunFilters,
  client: ArtifactClient,
): Promise<Set<number>> {
  const matching = new Set<number>()
  const unknown = new Set(runIds)
  if (unknown.size > FEW_RUNS && (await readRunsListing(unknown, matching, filters, client))) {
    // A run the whole listing did not show is of another workflow (or gone): it does not match.
    return matching
  }
  const rest = [...unknown]
  const verdicts = await mapConcurrently(rest, RUN_LOOKUP_CONCURRENCY, async (runId) =>
    runMatchesLookedUpFields(await client.getRun(runId), filters, client),
  )
  rest.forEach((runId, index) => {
    if (verdicts[index]) matching.add(runId)
  })
  return matching
}

/**
 * Settles the `unknown` runs the listing shows, moving matches into `matching`. True when it
 * read the whole listing; false when it stopped because look-ups would cost fewer requests. The
 * listing is read unfiltered: GitHub caps filtered run searches at 1,000 results.
 */
async function readRunsListing(
  unknown: Set<number>,
  matching: Set<number>,
  filters: RunFilters,
  client: ArtifactClient,
): Promise<boolean> {
  for await (const page of client.runPages(filters.workflow)) {
    for (const run of page.runs) {
      if (unknown.delete(run.id) && runMatchesItsOwnFields(run, filters)) matching.add(run.id)
    }
    if (unknown.size === 0) return true
    if (page.pagesLeft >= unknown.size) return false
  }
  return true
}

/** Artifacts of fork runs are attacker-controlled: `download` skips them, naming each. */
function withoutUntrustedForks(artifacts: Artifact[], reporter: Reporter): Artifact[] {
  const forked = artifacts.filter(isFromFork)
  for (const artifact of forked) {
    reporter.warning(
      `Skipped artifact '${artifact.name}' (id ${artifact.id}) of run ${artifact.workflow_run?.id}: the run was triggered from a fork, so the artifact is untrusted (set ${reporter.word('allow-forks', 'true')} to accept it)`,
    )
  }
  return artifacts.filter((artifact) => !isFromFork(artifact))
}

/**
 * Per name, the N newest unexpired candidates are protected, whatever their age or size; the
 * age and size rules apply to the rest.
 */
function splitKeepLatest(
  artifacts: Artifact[],
  keepLatest: number,
): { kept: Artifact[]; rest: Artifact[] } {
  if (keepLatest <= 0) return { kept: [], rest: [...artifacts] }
  const keptIds = new Set<number>()
  const keptPerName = new Map<string, number>()
  for (const artifact of [...artifacts].sort(compareNewestFirst)) {
    if (artifact.expired) continue
    const count = keptPerName.get(artifact.name) ?? 0
    if (count < keepLatest) {
      keptPerName.set(artifact.name, count + 1)
      keptIds.add(artifact.id)
    }
  }
  return {
    kept: artifacts.filter((a) => keptIds.has(a.id)).sort(compareNewestFirst),
    rest: artifacts.filter((a) => !keptIds.has(a.id)),
  }
}

function isOldAndLargeEnough(artifact: Artifact, query: Query, now = Date.now()): boolean {
  if (query.olderThanMs !== undefined) {
    const created = Date.parse(artifact.created_at ?? '')
    if (Number.isNaN(created) || now - created <= query.olderThanMs) return false
  }
  return query.minSize === undefined || artifact.size_in_bytes >= query.minSize
}

function quoted(patterns: NamePattern[]): string {
  return patterns.map((p) => `'${p.source}'`).join(', ')
}

/** The repository, run and filters searched, for messages a user can act on. */
function describeScope(client: ArtifactClient, query: Query, runId?: number): string {
  const { owner, repo } = client.repository
  const parts = [`${owner}/${repo}`]
  if (runId !== undefined) parts.push(`run ${runId}`)
  const filters = query.runFilters
  const labels: [keyof RunFilters, string][] = [
    ['workflow', 'workflow'],
    ['branch', 'branch'],
    ['event', 'event'],
    ['commit', 'commit'],
    ['pullRequest', 'pull request'],
    ['conclusion', 'conclusion'],
  ]
  for (const [key, label] of labels) {
    if (filters[key] !== undefined) parts.push(`${label} ${filters[key]}`)
  }
  if (query.names.length) parts.push(`name ${quoted(query.names)}`)
  if (query.exclude.length) {
    parts.push(`excluding ${quoted(query.exclude)}`)
  }
  return parts.join(', ')
}
