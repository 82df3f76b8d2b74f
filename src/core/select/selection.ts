import { compareNewestFirst, forkStatus, type Artifact } from '../artifact.js'
import type { ArtifactClient, ArtifactQuery, WorkflowRun } from '../api.js'
import { mapConcurrently } from '../concurrency.js'
import { WordedError } from '../errors.js'
import { matchesAny, singleExactName } from '../patterns.js'
import type { Reporter } from '../reporter.js'
import {
  hasRunFilters,
  searchesForRun,
  type DownloadOptions,
  type NamePattern,
  type Query,
  type RunFilters,
} from '../request.js'
import {
  artifactsOfRun,
  attributed,
  hasRunFields,
  isForkRun,
  matchingRuns,
  resolveCriteria,
  runMatches,
  type RunCriteria,
  type RunScan,
} from './runs.js'

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
 * A search for a run to download from reads at most this many runs of the listing (one page),
 * listing the artifacts of each that matches: about 100 requests at worst, a tenth of what
 * GITHUB_TOKEN may make in an hour.
 */
const MAX_RUNS_SEARCHED = 100

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
  const selected = hasAgeOrSizeRule(query)
    ? rest.filter((artifact) => isOldAndLargeEnough(artifact, query))
    : rest
  return { ...candidates, selected: selected.sort(compareNewestFirst), kept: kept.length }
}

/**
 * What `download` takes: the run asked for, else the newest run matching the run filters, else
 * the run this process belongs to, else (outside a run, as in a terminal) the newest run
 * holding what was asked for. Artifacts of other runs made from forks are skipped unless
 * `allow-forks`; the current run's own are not, since it made them.
 */
export async function selectForDownload(
  query: Query,
  options: DownloadOptions,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  const runId = query.runId ?? options.currentRunId
  if (runId === undefined || searchesForRun(query, options.currentRunId)) {
    return searchRunForDownload(query, options.allowForks, client, reporter)
  }
  const candidates = await listCandidates(query, runId, client, reporter)
  const unexpired = withoutExpired(candidates.artifacts, query, reporter)
  const trusted =
    options.allowForks || runId === options.currentRunId
      ? unexpired
      : withoutUntrustedForks(unexpired, reporter)
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
  let named = hasNameRules(query)
    ? listed.filter((artifact) => isNameCandidate(query, artifact))
    : listed
  if (runId !== undefined && !named.every(hasRunFields)) {
    named = attributed(named, await client.getRun(runId))
  }
  const searched = `${scope}; ${listed.length} artifact(s) listed`
  if (!hasRunFilters(query.runFilters)) return { artifacts: named, runId, searched }
  const criteria = await resolveCriteria(query.runFilters, client)
  const artifacts = named.every(hasRunFields)
    ? await filterByRun(named, criteria, client)
    : await artifactsOfMatchingRuns(query, criteria, client, reporter)
  return { artifacts, runId, searched }
}

/**
 * When the repository's artifacts do not say which run made them (GitHub Enterprise Server),
 * the runs matching the filters are read, and each one's artifacts listed.
 */
async function artifactsOfMatchingRuns(
  query: Query,
  criteria: RunCriteria,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Artifact[]> {
  const runs: WorkflowRun[] = []
  for await (const run of matchingRuns(criteria, client)) runs.push(run)
  reporter.info(
    `The artifacts do not name the run that made them: listing the artifacts of the ${runs.length} run(s) matching the filters`,
  )
  const name = singleExactName(query.names)
  const lists = await mapConcurrently(runs, RUN_LOOKUP_CONCURRENCY, (run) =>
    artifactsOfRun(run, client, name),
  )
  return lists.flat().filter((artifact) => isNameCandidate(query, artifact))
}

/**
 * The newest run that matches the run filters and holds every exact name asked for (with
 * patterns, at least one match); artifacts of different runs are never mixed. With a workflow,
 * or when artifacts do not name their run, the runs are read (filtered on the server) and each
 * one's artifacts listed; otherwise the repository's artifacts are read newest first, a page at
 * a time, so the search usually stops after the first page.
 */
async function searchRunForDownload(
  query: Query,
  allowForks: boolean,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<Selection> {
  const search: Search = {
    query,
    criteria: await resolveCriteria(query.runFilters, client),
    allowForks,
    client,
    reporter,
  }
  if (query.runFilters.workflow !== undefined) return searchRuns(search)
  const rejectedRuns = new Set<number>()
  let listed = 0
  for await (const page of client.artifactPages(artifactQuery(query))) {
    listed += page.length
    const candidates = page.filter((a) => isSearchCandidate(query, a))
    if (!candidates.every(hasRunFields)) return searchRuns(search)
    for (const runId of runsInOrder(candidates)) {
      if (rejectedRuns.has(runId)) continue
      const seen = candidates.filter((a) => a.workflow_run?.id === runId)
      const found = await tryRun(runId, seen, search)
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
  criteria: RunCriteria
  allowForks: boolean
  client: ArtifactClient
  reporter: Reporter
}

/**
 * Reads the runs matching the filters newest first, at most MAX_RUNS_SEARCHED of them, and
 * takes the first that holds what was asked: one request per run for its artifacts.
 */
async function searchRuns({
  query,
  criteria,
  allowForks,
  client,
  reporter,
}: Search): Promise<Selection> {
  const scan: RunScan = { read: 0 }
  const name = singleExactName(query.names)
  for await (const run of matchingRuns(criteria, client, scan, MAX_RUNS_SEARCHED)) {
    const wanted = (await artifactsOfRun(run, client, name)).filter(
      (a) => isNameCandidate(query, a) && !a.expired,
    )
    if (!holdsWhatWasAsked(wanted, query)) continue
    if (!isForkRun(run) || allowForks) return found(run.id, wanted, { query, client, reporter })
    reporter.warning(forkRunSkipped(run.id, reporter))
  }
  const reach = describeReach(scan)
  reporter.info(`Searched ${reach}`)
  return {
    selected: [],
    kept: 0,
    searched:
      `${describeScope(client, query)}; ${reach}` +
      (query.names.length ? `, none holding ${quoted(query.names)}` : ''),
  }
}

/** How far back a search of the runs went, and why it stopped there. */
function describeReach(scan: RunScan): string {
  const back = scan.oldest === undefined ? '' : `, back to one created ${scan.oldest}`
  const capped =
    scan.read >= MAX_RUNS_SEARCHED
      ? ` (the search stops after ${MAX_RUNS_SEARCHED} runs; older runs were not searched)`
      : ''
  return `the newest ${scan.read} run(s) of the listing${back}${capped}`
}

async function tryRun(
  runId: number,
  seen: Artifact[],
  { query, criteria, allowForks, client, reporter }: Search,
): Promise<Selection | undefined> {
  if (needsRunLookup(criteria.filters, seen)) {
    if (!(await runMatchesEveryFilter(await client.getRun(runId), criteria, client))) {
      return undefined
    }
  }
  if (forkStatus(seen[0]) !== 'same' && !allowForks) {
    reporter.warning(forkRunSkipped(runId, reporter))
    return undefined
  }
  // With the server's name filter the page already holds all of this run's wanted artifacts.
  const runArtifacts = singleExactName(query.names) ? seen : await client.listArtifacts({ runId })
  const wanted = runArtifacts.filter((a) => isNameCandidate(query, a) && !a.expired)
  if (!holdsWhatWasAsked(wanted, query)) return undefined
  return found(runId, wanted, { query, client, reporter })
}

/** The run a search settled on, and its artifacts asked for. */
function found(
  runId: number,
  wanted: Artifact[],
  { query, client, reporter }: Pick<Search, 'query' | 'client' | 'reporter'>,
): Selection {
  reporter.info(`Run ${runId} is the newest run matching the filters`)
  return {
    selected: wanted.sort(compareNewestFirst),
    kept: 0,
    runId,
    searched: describeScope(client, query, runId),
  }
}

function forkRunSkipped(runId: number, reporter: Reporter): string {
  return `Skipped run ${runId}: it was triggered from a fork, so its artifacts are untrusted (set ${reporter.word('allow-forks', 'true')} to accept them)`
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

/**
 * Whether any name rule applies. Without one, or without an age or size rule, a listing is
 * taken as it is: a copy of 100,000 artifacts would only cost memory.
 */
function hasNameRules(query: Query): boolean {
  return query.names.length > 0 || query.exclude.length > 0
}

function hasAgeOrSizeRule(query: Query): boolean {
  return query.olderThanMs !== undefined || query.minSize !== undefined
}

function isNameCandidate(query: Query, artifact: Artifact): boolean {
  const named = query.names.length === 0 || matchesAny(query.names, artifact.name)
  return named && !matchesAny(query.exclude, artifact.name)
}

/**
 * Filters the artifact's own `workflow_run` answers, with no request. A field the artifact
 * leaves out does not rule it out here: its run is looked up instead.
 */
function matchesOwnRunFields(artifact: Artifact, filters: RunFilters): boolean {
  const run = artifact.workflow_run ?? {}
  if (filters.branch !== undefined && run.head_branch !== undefined) {
    if (run.head_branch !== filters.branch) return false
  }
  return filters.commit === undefined || run.head_sha?.startsWith(filters.commit) !== false
}

/** Filters only the run answers; `branch` and `commit` too when some artifact leaves them out. */
function needsRunLookup(filters: RunFilters, artifacts: Artifact[] = []): boolean {
  const { workflow, event, pullRequest, conclusion } = filters
  if ([workflow, event, pullRequest, conclusion].some((value) => value !== undefined)) return true
  return artifacts.some(
    ({ workflow_run: run }) =>
      (filters.branch !== undefined && run?.head_branch === undefined) ||
      (filters.commit !== undefined && run?.head_sha === undefined),
  )
}

async function runMatchesEveryFilter(
  run: WorkflowRun,
  criteria: RunCriteria,
  client: ArtifactClient,
): Promise<boolean> {
  if (!runMatches(run, criteria)) return false
  const workflow = criteria.filters.workflow
  return workflow === undefined || run.workflow_id === (await client.getWorkflowId(workflow))
}

/** Keeps the artifacts whose run matches every run filter. */
async function filterByRun(
  artifacts: Artifact[],
  criteria: RunCriteria,
  client: ArtifactClient,
): Promise<Artifact[]> {
  const own = artifacts.filter((artifact) => matchesOwnRunFields(artifact, criteria.filters))
  if (!needsRunLookup(criteria.filters, own)) return own
  const matching = await matchingRunIds(runsInOrder(own), criteria, client)
  return own.filter((artifact) => matching.has(artifact.workflow_run?.id ?? -1))
}

/**
 * Which of these runs match the filters, in as few requests as possible: the runs listing (of the
 * filtered workflow, whose runs need no workflow look-up) answers for many runs a page, while a
 * look-up answers for one; the listing is read while that costs fewer requests than looking the
 * remaining runs up.
 */
async function matchingRunIds(
  runIds: number[],
  criteria: RunCriteria,
  client: ArtifactClient,
): Promise<Set<number>> {
  const matching = new Set<number>()
  const unknown = new Set(runIds)
  if (unknown.size > FEW_RUNS && (await readRunsListing(unknown, matching, criteria, client))) {
    // A run the whole listing did not show is of another workflow (or gone): it does not match.
    return matching
  }
  const rest = [...unknown]
  const verdicts = await mapConcurrently(rest, RUN_LOOKUP_CONCURRENCY, async (runId) =>
    runMatchesEveryFilter(await client.getRun(runId), criteria, client),
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
  criteria: RunCriteria,
  client: ArtifactClient,
): Promise<boolean> {
  for await (const page of client.runPages(criteria.filters.workflow)) {
    for (const run of page.runs) {
      if (unknown.delete(run.id) && runMatches(run, criteria)) matching.add(run.id)
    }
    if (unknown.size === 0) return true
    if (page.pagesLeft >= unknown.size) return false
  }
  return true
}

/**
 * An expired artifact cannot be downloaded: among several it is skipped with a warning, while a
 * single exact name asked for still fails, naming it.
 */
function withoutExpired(artifacts: Artifact[], query: Query, reporter: Reporter): Artifact[] {
  if (singleExactName(query.names) !== undefined) return artifacts
  for (const artifact of artifacts.filter((a) => a.expired)) {
    reporter.warning(
      `Skipped artifact '${artifact.name}' (id ${artifact.id}): it has expired` +
        (artifact.expires_at ? ` (at ${artifact.expires_at})` : '') +
        ' and can no longer be downloaded',
    )
  }
  return artifacts.filter((artifact) => !artifact.expired)
}

/**
 * Artifacts of fork runs are attacker-controlled: `download` skips them, naming each. An artifact
 * whose run's head repository cannot be told is refused rather than trusted.
 */
function withoutUntrustedForks(artifacts: Artifact[], reporter: Reporter): Artifact[] {
  const unknown = artifacts.find((artifact) => forkStatus(artifact) === 'unknown')
  if (unknown) {
    throw new WordedError(
      (word) =>
        `Cannot tell whether artifact '${unknown.name}' (id ${unknown.id}) was made by a run triggered from a fork: the API does not say which repository its run's commit came from. Set \`${word('allow-forks', 'true')}\` to accept it anyway`,
    )
  }
  const forked = artifacts.filter((artifact) => forkStatus(artifact) === 'fork')
  for (const artifact of forked) {
    reporter.warning(
      `Skipped artifact '${artifact.name}' (id ${artifact.id}) of run ${artifact.workflow_run?.id}: the run was triggered from a fork, so the artifact is untrusted (set ${reporter.word('allow-forks', 'true')} to accept it)`,
    )
  }
  return artifacts.filter((artifact) => forkStatus(artifact) === 'same')
}

/**
 * Per name, the N newest unexpired candidates are protected, whatever their age or size; the
 * age and size rules apply to the rest.
 */
function splitKeepLatest(
  artifacts: Artifact[],
  keepLatest: number,
): { kept: Artifact[]; rest: Artifact[] } {
  if (keepLatest <= 0) return { kept: [], rest: artifacts }
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
