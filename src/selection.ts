import { compareNewestFirst, isFromFork, type Artifact } from './artifact.js'
import type { ArtifactClient, ArtifactQuery, WorkflowRun } from './client-types.js'
import { mapConcurrently } from './concurrency.js'
import { InputError } from './errors.js'
import { matchesAny, singleExactName } from './patterns.js'
import type { Reporter } from './reporter.js'
import { hasRunFilters, type NamePattern, type RunFilters, type Settings } from './settings.js'

/** What an operation acts on, and what was looked at to decide it. */
export interface Selection {
  /** The artifacts to list, download or delete, newest first. */
  selected: Artifact[]
  /** Candidates protected by `keep-latest`. */
  kept: Artifact[]
  /** The run downloaded from, when the download scope is a single run. */
  runId?: number
  /** What was searched, in words, for "no artifact found" messages. */
  searched: string
}

/** Runs looked up at once when checking run filters. */
const RUN_LOOKUP_CONCURRENCY = 4
/** Up to this many runs are looked up one by one without trying the runs listing first. */
const FEW_RUNS = 3

export async function selectArtifacts(
  settings: Settings,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  if (settings.operation === 'download' && settings.runId === undefined) {
    if (hasRunFilters(settings.runFilters)) return searchRunForDownload(settings, client, reporter)
    return selectFromCurrentRun(settings, client, reporter)
  }
  const query = artifactQuery(settings, settings.runId)
  const listed = await client.listArtifacts(query)
  reporter.info(`Listed ${listed.length} artifact(s) in ${describeScope(settings, settings.runId)}`)
  const candidates = await filterByRun(
    listed.filter((artifact) => isNameCandidate(settings, artifact)),
    settings.runFilters,
    client,
  )
  const trusted = withoutUntrustedForks(candidates, settings, reporter)
  const { kept, rest } = splitKeepLatest(trusted, settings.keepLatest)
  const selected = rest.filter((artifact) => isOldAndLargeEnough(artifact, settings))
  return {
    selected: selected.sort(compareNewestFirst),
    kept,
    runId: settings.runId,
    searched: `${describeScope(settings, settings.runId)}; ${listed.length} artifact(s) listed`,
  }
}

async function selectFromCurrentRun(
  settings: Settings,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  if (settings.currentRunId === undefined) {
    throw new InputError(
      'run-id',
      'no run to download from: give `run-id` or a run filter such as `workflow` (GITHUB_RUN_ID is not set)',
    )
  }
  return selectArtifacts({ ...settings, runId: settings.currentRunId }, client, reporter)
}

/**
 * SPEC rule 2 for `download`: the newest run that matches the run filters and holds every exact
 * name asked for (with patterns, at least one match). Artifacts are read newest first, a page at
 * a time, so the search usually stops after the first page; runs are looked up only for filters
 * an artifact's own `workflow_run` cannot answer.
 */
async function searchRunForDownload(
  settings: Settings,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  const rejectedRuns = new Set<number>()
  let listed = 0
  for await (const page of client.artifactPages(artifactQuery(settings))) {
    listed += page.length
    const candidates = page.filter((a) => isSearchCandidate(settings, a))
    for (const runId of runsInOrder(candidates)) {
      if (rejectedRuns.has(runId)) continue
      const seen = candidates.filter((a) => a.workflow_run?.id === runId)
      const found = await tryRun(runId, seen, settings, client, reporter)
      if (found) return found
      rejectedRuns.add(runId)
    }
  }
  return {
    selected: [],
    kept: [],
    searched:
      `${describeScope(settings)}; ${listed} artifact(s) listed, ` +
      `${rejectedRuns.size} run(s) looked at` +
      (settings.names.length ? `, none holding ${quoted(settings.names)}` : ''),
  }
}

async function tryRun(
  runId: number,
  seen: Artifact[],
  settings: Settings,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection | undefined> {
  const filters = settings.runFilters
  if (needsRunLookup(filters)) {
    if (!(await runMatchesLookedUpFields(await client.getRun(runId), filters, client))) {
      return undefined
    }
  }
  if (isFromFork(seen[0]) && !settings.allowForks) {
    reporter.warning(
      `Skipped run ${runId}: it was triggered from a fork, so its artifacts are untrusted (set allow-forks: true to accept them)`,
    )
    return undefined
  }
  // With the server's name filter the page already holds all of this run's wanted artifacts.
  const runArtifacts = singleExactName(settings.names)
    ? seen
    : await client.listArtifacts({ runId })
  const wanted = runArtifacts.filter((a) => isNameCandidate(settings, a) && !a.expired)
  if (!holdsWhatWasAsked(wanted, settings)) return undefined
  reporter.info(`Run ${runId} is the newest run matching the filters`)
  return {
    selected: wanted.sort(compareNewestFirst),
    kept: [],
    runId,
    searched: describeScope(settings, runId),
  }
}

/** Every exact name asked for is there; with patterns only, at least one match. */
function holdsWhatWasAsked(artifacts: Artifact[], settings: Settings): boolean {
  const present = new Set(artifacts.map((a) => a.name))
  const exactNames = settings.names.filter((p) => p.kind === 'exact').map((p) => p.source)
  return artifacts.length > 0 && exactNames.every((name) => present.has(name))
}

/** Run ids in the order their newest artifact appears. */
function runsInOrder(artifacts: Artifact[]): number[] {
  const ids = artifacts.map((a) => a.workflow_run?.id).filter((id) => id !== undefined)
  return [...new Set(ids)]
}

function isSearchCandidate(settings: Settings, artifact: Artifact): boolean {
  return (
    isNameCandidate(settings, artifact) &&
    !artifact.expired &&
    matchesOwnRunFields(artifact, settings.runFilters)
  )
}

function artifactQuery(settings: Settings, runId?: number): ArtifactQuery {
  return { runId, name: singleExactName(settings.names) }
}

function isNameCandidate(settings: Settings, artifact: Artifact): boolean {
  const named = settings.names.length === 0 || matchesAny(settings.names, artifact.name)
  return named && !matchesAny(settings.exclude, artifact.name)
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

/** SPEC rule 7: fork-run artifacts are attacker-controlled, so `download` skips them. */
function withoutUntrustedForks(
  artifacts: Artifact[],
  settings: Settings,
  reporter: Reporter,
): Artifact[] {
  if (settings.operation !== 'download' || settings.allowForks) return artifacts
  const forked = artifacts.filter(isFromFork)
  for (const artifact of forked) {
    reporter.warning(
      `Skipped artifact '${artifact.name}' (id ${artifact.id}) of run ${artifact.workflow_run?.id}: the run was triggered from a fork, so the artifact is untrusted (set allow-forks: true to accept it)`,
    )
  }
  return artifacts.filter((artifact) => !isFromFork(artifact))
}

/** SPEC rule 3: per name, the N newest unexpired candidates are protected. */
export function splitKeepLatest(
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

function isOldAndLargeEnough(artifact: Artifact, settings: Settings, now = Date.now()): boolean {
  if (settings.olderThanMs !== undefined) {
    const created = Date.parse(artifact.created_at ?? '')
    if (Number.isNaN(created) || now - created <= settings.olderThanMs) return false
  }
  return settings.minSize === undefined || artifact.size_in_bytes >= settings.minSize
}

function quoted(patterns: NamePattern[]): string {
  return patterns.map((p) => `'${p.source}'`).join(', ')
}

/** The repository, run and filters searched, for messages a user can act on. */
export function describeScope(settings: Settings, runId?: number): string {
  const { owner, repo } = settings.repository
  const parts = [`${owner}/${repo}`]
  if (runId !== undefined) parts.push(`run ${runId}`)
  const filters = settings.runFilters
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
  if (settings.names.length) parts.push(`name ${quoted(settings.names)}`)
  if (settings.exclude.length) {
    parts.push(`excluding ${quoted(settings.exclude)}`)
  }
  return parts.join(', ')
}
