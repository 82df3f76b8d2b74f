import { toRecord, type Artifact } from './artifact.js'
import type { ApiSession, ArtifactCache, ArtifactClient } from './api.js'
import { deleteArtifacts, describeDeletionFailures } from './delete/deletion.js'
import { downloadArtifacts, type DownloadContext } from './download/download.js'
import type { Outcome } from './outcome.js'
import { singleExactName } from './patterns.js'
import type { Reporter } from './reporter.js'
import type { DeleteOptions, DownloadOptions, Request } from './request.js'
import { selectForDownload, selectForListing, type Selection } from './select/selection.js'

const QUOTA_NOTE =
  'GitHub recalculates storage usage every 6 to 12 hours, so the freed space shows in the quota later.'

/**
 * Selects the artifacts the request asks for, acts on them, and says what was done. `cache` is
 * where the front end keeps verified artifacts, used when the request asks for it.
 */
export async function execute(
  request: Request,
  session: ApiSession,
  reporter: Reporter,
  cache?: ArtifactCache,
): Promise<Outcome> {
  const client = session.repository(request.repository)
  const selection =
    request.operation === 'download'
      ? await selectForDownload(request.query, request.download, client, reporter)
      : await selectForListing(request.query, client, reporter)
  if (selection.selected.length === 0) reportNothingFound(request, selection, reporter)
  const base = { operation: request.operation, dryRun: false, kept: selection.kept, notes: [] }
  switch (request.operation) {
    case 'list':
      return { ...base, artifacts: selection.selected.map((a) => toRecord(a)), failures: [] }
    case 'download':
      return {
        ...base,
        ...(await download(request, selection, {
          client,
          storage: session.storage,
          reporter,
          cache: request.download.cache ? cache : undefined,
        })),
      }
    case 'delete':
      return { ...base, ...(await remove(request.delete, selection, session, client, reporter)) }
  }
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
  context: DownloadContext,
): Promise<OperationResult> {
  const options = request.download
  // One artifact asked for by a single exact name goes into `path` itself, as if merged.
  const intoPath =
    options.mergeMultiple ||
    (selection.selected.length === 1 && singleExactName(request.query.names) !== undefined)
  reportUncheckable(selection.selected, context.reporter)
  const result = await downloadArtifacts(
    selection.selected,
    { ...options, mergeMultiple: intoPath },
    context,
  )
  return {
    artifacts: result.downloaded.map(({ artifact, path }) => toRecord(artifact, path)),
    runId: selection.runId,
    downloadPath: options.path,
    notes: result.deleted.length
      ? [`${result.deleted.length} artifact(s) deleted after download.`]
      : [],
    failures: [],
  }
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

async function remove(
  options: DeleteOptions,
  selection: Selection,
  session: ApiSession,
  client: ArtifactClient,
  reporter: Reporter,
): Promise<OperationResult> {
  const result = await deleteArtifacts(selection.selected, options, { session, client, reporter })
  const notes = result.dryRun ? ['Dry run: nothing was deleted.'] : [QUOTA_NOTE]
  if (result.stopReason) notes.unshift(result.stopReason)
  return {
    dryRun: result.dryRun,
    artifacts: [...result.deleted, ...result.alreadyGone].map((a) => toRecord(a)),
    remaining: result.remaining.length,
    notes,
    failures: result.failed.length ? [describeDeletionFailures(result.failed)] : [],
  }
}
