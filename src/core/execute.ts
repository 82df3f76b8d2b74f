import { toRecord, type Artifact, type ArtifactRecord } from './artifact.js'
import type { ApiSession, ArtifactCache, ArtifactClient, RepositoryInfo } from './api.js'
import { deleteArtifacts, describeDeletionFailures } from './delete/deletion.js'
import { downloadArtifacts, type DownloadContext } from './download/download.js'
import type { Outcome } from './outcome.js'
import { mapConcurrently } from './concurrency.js'
import { singleExactName } from './patterns.js'
import type { Reporter } from './reporter.js'
import { fullName, type DeleteOptions, type DownloadOptions, type Request } from './request.js'
import { firstOf, resolveRepositories } from './select/repositories.js'
import { selectForDownload, selectForListing, type Selection } from './select/selection.js'

const QUOTA_NOTE =
  'GitHub recalculates storage usage every 6 to 12 hours, so the freed space shows in the quota later.'

/**
 * Repositories read at once. Their requests share the session's gate and secondary-limit window,
 * so this only keeps enough of them busy to fill the gate.
 */
const REPOSITORY_CONCURRENCY = 16

/** What was selected in one repository, and the client that reached it. */
interface RepositorySelection {
  target: RepositoryInfo
  client: ArtifactClient
  selection: Selection
}

/** What a front end may hand in beside the request. */
interface ExecuteOptions {
  /** Where the front end keeps verified artifacts, used when the request asks for it. */
  cache?: ArtifactCache
  /**
   * Stops downloads under way: they end, removing their partial files and staging folders,
   * and the outcome is a rejection with the signal's reason.
   */
  signal?: AbortSignal
}

/** Selects the artifacts the request asks for, acts on them, and says what was done. */
export async function execute(
  request: Request,
  session: ApiSession,
  reporter: Reporter,
  { cache, signal }: ExecuteOptions = {},
): Promise<Outcome> {
  const targets = await resolveRepositories(
    request.repositories,
    { operation: request.operation, deletes: deletesArtifacts(request) },
    session,
    reporter,
  )
  if (request.operation === 'download') {
    const [target] = targets
    const client = session.repository(target.repository)
    const selection = await selectForDownload(request.query, request.download, client, reporter)
    if (selection.selected.length === 0) reportNothingFound(request, selection, reporter)
    return {
      operation: request.operation,
      dryRun: false,
      kept: 0,
      ...(await download(request, selection, target, {
        client,
        storage: session.storage,
        reporter,
        cache: request.download.cache ? cache : undefined,
        signal,
      })),
    }
  }
  const selections = await mapConcurrently(targets, REPOSITORY_CONCURRENCY, async (target) => {
    const client = session.repository(target.repository)
    return { target, client, selection: await selectForListing(request.query, client, reporter) }
  })
  const selection = combine(selections)
  if (selection.selected.length === 0) reportNothingFound(request, selection, reporter)
  const base = { operation: request.operation, dryRun: false, kept: selection.kept, notes: [] }
  if (request.operation === 'list') {
    return { ...base, artifacts: recordsOf(selection.selected, selections), failures: [] }
  }
  return { ...base, ...(await remove(request.delete, selections, session, reporter)) }
}

function deletesArtifacts(request: Request): boolean {
  return (
    request.operation === 'delete' ||
    (request.operation === 'download' && request.download.deleteAfterDownload)
  )
}

/** Every repository's selection as one, for totals and "nothing found" messages. */
function combine(selections: RepositorySelection[]): Selection {
  const parts = selections.map((part) => part.selection)
  return {
    // One repository's selection is taken as it is: a second list of 100,000 costs memory.
    selected: parts.length === 1 ? parts[0].selected : parts.flatMap((part) => part.selected),
    kept: parts.reduce((sum, part) => sum + part.kept, 0),
    searched:
      parts.length === 1
        ? parts[0].searched
        : `${parts.length} repositories: ${firstOf(parts.map((part) => part.searched)).join('; ')}`,
  }
}

/** The output records of these artifacts, each naming the repository that holds it. */
function recordsOf(artifacts: Artifact[], selections: RepositorySelection[]): ArtifactRecord[] {
  const repositoryOf = repositoryNames(selections)
  return artifacts.map((artifact) => toRecord(artifact, repositoryOf(artifact)))
}

/**
 * The name of the repository holding each artifact, one string per repository shared by its
 * records: a listing of 100,000 artifacts builds no name, and no look-up table, per artifact.
 */
function repositoryNames(selections: RepositorySelection[]): (artifact: Artifact) => string {
  if (selections.length === 1) {
    const name = fullName(selections[0].target.repository)
    return () => name
  }
  const names = new Map<number, string>()
  for (const part of selections) {
    const name = fullName(part.target.repository)
    for (const artifact of part.selection.selected) names.set(artifact.id, name)
  }
  return (artifact) => names.get(artifact.id)!
}

function holdersById(selections: RepositorySelection[]): Map<number, RepositorySelection> {
  const holders = new Map<number, RepositorySelection>()
  for (const part of selections) {
    for (const artifact of part.selection.selected) holders.set(artifact.id, part)
  }
  return holders
}

/** `if-no-artifact-found`: say what was searched, so the message can be acted on. */
function reportNothingFound(request: Request, selection: Selection, reporter: Reporter): void {
  const kept = selection.kept ? ` (${selection.kept} kept by ${reporter.word('keep-latest')})` : ''
  const message = `No artifact found${kept}. Searched ${selection.searched}.`
  if (request.ifNoArtifactFound === 'fail') throw new Error(message)
  if (request.ifNoArtifactFound === 'warn') reporter.warning(message)
  else reporter.info(message)
}

type OperationResult = Pick<Outcome, 'artifacts' | 'notes' | 'failures'> & Partial<Outcome>

async function download(
  request: Request & { download: DownloadOptions },
  selection: Selection,
  target: RepositoryInfo,
  context: DownloadContext,
): Promise<OperationResult> {
  const options = request.download
  // One artifact asked for by a single exact name goes into `path` itself, as if merged.
  const intoPath =
    options.mergeMultiple ||
    (selection.selected.length === 1 && singleExactName(request.query.names) !== undefined)
  reportUncheckable(selection.selected, context.reporter)
  const readOnly = options.deleteAfterDownload && target.archived
  const kept =
    readOnly && selection.selected.length > 0 ? [readOnlyNote(target, context.reporter)] : []
  for (const note of kept) context.reporter.warning(note)
  const result = await downloadArtifacts(
    selection.selected,
    {
      ...options,
      mergeMultiple: intoPath,
      deleteAfterDownload: options.deleteAfterDownload && !readOnly,
    },
    context,
  )
  const repository = fullName(target.repository)
  return {
    artifacts: result.downloaded.map(({ artifact, path }) => toRecord(artifact, repository, path)),
    runId: selection.runId,
    downloadPath: options.path,
    notes: result.deleted.length
      ? [`${result.deleted.length} artifact(s) deleted after download.`]
      : kept,
    failures: [],
  }
}

/** An archived repository is read-only: what a download would delete after it stays. */
function readOnlyNote(target: RepositoryInfo, reporter: Reporter): string {
  return (
    `The artifacts downloaded stay in ${fullName(target.repository)} despite ` +
    `${reporter.word('delete-after-download')}: the repository is archived, so it is read-only.`
  )
}

/** Artifacts without a digest still download, but nothing can check their bytes: say so. */
function reportUncheckable(artifacts: Artifact[], reporter: Reporter): void {
  const undigested = artifacts.filter((artifact) => !artifact.digest)
  if (undigested.length === 0) return
  const names = undigested.map((artifact) => `'${artifact.name}' (id ${artifact.id})`).join(', ')
  reporter.info(
    `No digest given for ${names} (GitHub Enterprise Server and older uploads give none): ` +
      'the bytes received cannot be checked against one',
  )
}

/**
 * Deletes across every writable repository at once, under the session's one pacing and one
 * `max-deletions`. Archived repositories are read-only: their selected artifacts are named in a
 * note and never sent a DELETE, and they do not count as `remaining`.
 */
async function remove(
  options: DeleteOptions,
  selections: RepositorySelection[],
  session: ApiSession,
  reporter: Reporter,
): Promise<OperationResult> {
  const writable = selections.filter((part) => !part.target.archived)
  const skipped = archivedNotes(selections)
  for (const note of skipped) reporter.info(note)
  const holders = holdersById(writable)
  const result = await deleteArtifacts(
    writable.flatMap((part) => part.selection.selected),
    options,
    { session, clientOf: (artifact) => holders.get(artifact.id)!.client, reporter },
  )
  const notes = [...skipped, result.dryRun ? 'Dry run: nothing was deleted.' : QUOTA_NOTE]
  if (result.stopReason) notes.unshift(result.stopReason)
  return {
    dryRun: result.dryRun,
    artifacts: recordsOf([...result.deleted, ...result.alreadyGone], writable),
    remaining: result.remaining.length,
    notes,
    failures: result.failed.length ? [describeDeletionFailures(result.failed)] : [],
  }
}

function archivedNotes(selections: RepositorySelection[]): string[] {
  return selections
    .filter((part) => part.target.archived && part.selection.selected.length > 0)
    .map(
      ({ target, selection }) =>
        `Skipped ${selection.selected.length} selected artifact(s) of ${fullName(target.repository)}: the repository is archived, so it is read-only.`,
    )
}
