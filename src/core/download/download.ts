import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { compareNewestFirst, type Artifact } from '../artifact.js'
import type { ArtifactCache, ArtifactClient, StorageGet } from '../api.js'
import { limiter } from '../concurrency.js'
import { ArtifactExpiredError } from '../errors.js'
import type { Reporter } from '../reporter.js'
import type { DownloadOptions } from '../request.js'
import { formatBytes } from '../units.js'
import { cacheKey, copyFromCache, keepInCache } from './cache.js'
import { Arrivals } from './arrivals.js'
import {
  checkWindowsName,
  extractBeside,
  extractZip,
  hostFileNameRules,
  moveStaged,
  partialPathBeside,
  renameRetrying,
  type ExtractOptions,
  type FileNameRules,
  type StagedExtraction,
} from './extraction.js'
import { leftoversOf } from './leftovers.js'
import {
  transferToFile,
  type ParallelSettings,
  type Transfer,
  type TransferOptions,
} from './transfer.js'

type OnReceived = NonNullable<TransferOptions['onReceived']>

export interface DownloadResult {
  /** In the order they were written: oldest first. */
  downloaded: { artifact: Artifact; path: string }[]
  /** Deleted after download (`delete-after-download`), including those already gone. */
  deleted: Artifact[]
}

const STAGING_REMOVAL = { recursive: true, force: true }

/** Transfers at once: enough to hide latency, few enough to leave the runner's bandwidth whole. */
const CONCURRENT_TRANSFERS = 3

/**
 * Storage media types of a zipped artifact (`zip` is what the artifact upload sets). Any other
 * type is a file uploaded unzipped (`archive: false`).
 */
const ZIP_TYPES = new Set([
  '',
  'zip',
  'application/zip',
  'application/x-zip',
  'application/x-zip-compressed',
  'application/zip-compressed',
])

/**
 * Where downloads go: `path`, and with `mergeMultiple` every artifact into `path` itself rather
 * than into a folder of its name.
 */
export type DownloadLayout = Pick<
  DownloadOptions,
  'path' | 'mergeMultiple' | 'extract' | 'deleteAfterDownload'
>

/** What downloading works with: the repository's API client and the storage host. */
export interface DownloadContext {
  client: ArtifactClient
  storage: StorageGet
  reporter: Reporter
  /** How the destination's file system treats names; default: the usual one of this platform. */
  fileNames?: FileNameRules
  /** How large artifacts are split over several connections (default: measured defaults). */
  parallel?: ParallelSettings
  /** Where verified artifacts are kept by digest and looked up first (`cache: true`). */
  cache?: ArtifactCache
  /** Stops the downloads as a failure would: what they made is removed, the reason thrown. */
  signal?: AbortSignal
}

/** A verified download, and its extraction when it ran while the bytes arrived. */
interface Fetched {
  transfer: Transfer
  staged?: StagedExtraction
}

/** Where one artifact goes, and the temporary file its bytes arrive in. */
interface Plan {
  artifact: Artifact
  subject: string
  /** The folder its files land in. */
  folder: string
  /** Where the bytes arrive: beside where they end up, so moving them there is a rename. */
  partial: string
}

/**
 * Downloads the selected artifacts into `layout.path`: transfers run a few
 * at a time, each is checked against its digest, then they are written one after another, oldest
 * first, so that with `merge-multiple` a file present in several ends as the newest one's. When
 * one fails, nothing of it is left behind, those already written stay, and the error says so.
 */
export async function downloadArtifacts(
  artifacts: Artifact[],
  layout: DownloadLayout,
  given: DownloadContext,
): Promise<DownloadResult> {
  const context = { ...given, fileNames: given.fileNames ?? hostFileNameRules }
  const { client, reporter } = context
  given.signal?.throwIfAborted()
  const expired = artifacts.find((artifact) => artifact.expired)
  if (expired) throw new ArtifactExpiredError(expired.name, expired.id, expired.expires_at)
  const plans = [...artifacts]
    .sort(compareNewestFirst)
    .reverse()
    .map((artifact) => planFor(artifact, layout, context.fileNames))
  // Extraction stages beside each folder, which is beside where its bytes arrive.
  reporter.temporaryFiles?.(leftoversOf(plans.map((plan) => plan.partial)))

  const result: DownloadResult = { downloaded: [], deleted: [] }
  const abort = new AbortController()
  let failure: unknown
  const fail = (error: unknown): void => {
    if (failure !== undefined) return
    failure = error
    abort.abort(error)
  }
  // An abort's reason is always set (an AbortError when none was given).
  const stop = (): void => fail(given.signal?.reason)
  given.signal?.addEventListener('abort', stop, { once: true })
  const byteCounter = trackReceivedBytes(plans, reporter)
  const slot = limiter(CONCURRENT_TRANSFERS)
  // Each resolves, never rejects (undefined when it failed or was abandoned), so no rejection
  // goes unhandled while the writer is still busy with an earlier artifact.
  const transfers = plans.map((plan) =>
    slot(() => fetchVerified(plan, layout, context, abort.signal, byteCounter())).catch(
      (error: unknown) => {
        if (!abort.signal.aborted) fail(error)
        return undefined
      },
    ),
  )
  const writer = new Writer(layout, reporter, context.fileNames)
  try {
    for (const [index, plan] of plans.entries()) {
      const fetched = await transfers[index]
      if (!fetched || failure !== undefined) break
      try {
        result.downloaded.push({
          artifact: plan.artifact,
          path: await writer.write(plan, fetched),
        })
        if (layout.deleteAfterDownload) {
          await client.deleteArtifact(plan.artifact.id)
          result.deleted.push(plan.artifact)
        }
      } catch (error) {
        fail(error)
      }
    }
  } finally {
    given.signal?.removeEventListener('abort', stop)
    abort.abort()
    const left = await Promise.all(transfers)
    await Promise.all(plans.map((plan) => rm(plan.partial, { force: true })))
    // Extractions of artifacts not written, because an earlier one failed.
    await Promise.all(
      left.map((fetched) => fetched?.staged && rm(fetched.staged.staging, STAGING_REMOVAL)),
    )
  }
  if (failure !== undefined) throw withWhatWasKept(failure, result)
  return result
}

/**
 * Reports the bytes received across the concurrent transfers against the selection's total.
 * Each transfer gets a counter of its own, so an attempt that is retried counts afresh.
 */
function trackReceivedBytes(plans: Plan[], reporter: Reporter): () => OnReceived {
  const total = plans.reduce((sum, plan) => sum + plan.artifact.size_in_bytes, 0)
  let done = 0
  reporter.progress({ operation: 'download', done, total })
  return () => {
    let counted = 0
    return (bytes) => {
      done += bytes - counted
      counted = bytes
      reporter.progress({ operation: 'download', done, total })
    }
  }
}

function planFor(artifact: Artifact, layout: DownloadLayout, rules: FileNameRules): Plan {
  const name = checkedFolderName(artifact)
  // Its name is on disk unless it is extracted into `path` itself.
  if (rules.windowsNames && !(layout.mergeMultiple && layout.extract)) {
    checkWindowsName(layout.extract ? name : `${name}.zip`, () => capitalise(describe(artifact)))
  }
  const folder = layout.mergeMultiple ? layout.path : path.join(layout.path, name)
  const landing = layout.extract ? folder : zipPath(layout, artifact)
  return { artifact, subject: describe(artifact), folder, partial: partialPathBeside(landing) }
}

function zipPath(layout: DownloadLayout, artifact: Artifact): string {
  return path.join(layout.path, `${artifact.name}.zip`)
}

/** An artifact name becomes a folder name: it must be one plain path segment. */
function checkedFolderName(artifact: Artifact): string {
  const name = artifact.name
  if (name === '' || name === '.' || name === '..' || /[\\/\0]/.test(name)) {
    throw new Error(`${capitalise(describe(artifact))}: its name cannot be used as a folder name`)
  }
  return name
}

function describe(artifact: Artifact): string {
  const run = artifact.workflow_run?.id
  return `artifact '${artifact.name}' (id ${artifact.id}${run === undefined ? '' : `, run ${run}`})`
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/**
 * Downloads one artifact to its partial file and checks it against the artifact's digest; with a
 * cache, a kept copy of the same digest is used instead, and a new download is kept. A zip to
 * extract is extracted beside its destination while it arrives.
 */
async function fetchVerified(
  plan: Plan,
  layout: DownloadLayout,
  context: DownloadContext & { fileNames: FileNameRules },
  signal: AbortSignal,
  onReceived: OnReceived,
): Promise<Fetched> {
  signal.throwIfAborted()
  const { client, storage, reporter, parallel, cache } = context
  await mkdir(path.dirname(plan.partial), { recursive: true })
  const key = cache && cacheKey(plan.artifact.digest)
  if (cache && key) {
    const cached = await copyFromCache(cache, key, plan.partial, plan.subject, reporter)
    if (cached) {
      // Its bytes count towards the selection's total as if they had been received.
      onReceived(cached.bytes)
      return { transfer: cached }
    }
  }
  // A download kept in the cache must be whole in its file: no entry is written elsewhere.
  const arrivals = layout.extract ? new Arrivals({ wholeFile: Boolean(key) }) : undefined
  const transferring = transferToFile({
    getUrl: () => client.getDownloadUrl(plan.artifact),
    get: storage,
    file: plan.partial,
    subject: plan.subject,
    reporter,
    expectedBytes: plan.artifact.size_in_bytes,
    parallel,
    arrivals,
    signal,
    onReceived,
  })
  const extracting =
    arrivals &&
    extractWhileArriving(plan, {
      ...extractOptions({ rules: context.fileNames, reporter }),
      arrivals,
    })
  // Its failure is awaited below, after the transfer's: never left unhandled meanwhile.
  extracting?.catch(() => undefined)
  let transfer: Transfer
  try {
    transfer = await transferring
    verifyDigest(plan, transfer, reporter)
  } catch (error) {
    const staged = await extracting?.catch(() => undefined)
    if (staged) await rm(staged.staging, STAGING_REMOVAL)
    throw error
  }
  const staged = await extracting
  if (cache && key) await keepInCache(cache, key, transfer, plan.subject, reporter)
  return { transfer, staged }
}

/** Extracts a zip into its staging folder while its bytes arrive; nothing for other bodies. */
async function extractWhileArriving(
  plan: Plan,
  options: ExtractOptions & { arrivals: Arrivals },
): Promise<StagedExtraction | undefined> {
  const facts = await options.arrivals.answer
  if (!ZIP_TYPES.has(facts.contentType) || facts.size === undefined) return undefined
  return extractBeside(plan.partial, plan.folder, plan.subject, options)
}

/** The destination's file-name rules, and case collisions told as warnings. */
function extractOptions({
  rules,
  reporter,
}: {
  rules: FileNameRules
  reporter: Reporter
}): ExtractOptions {
  return { rules, warn: (message) => reporter.warning(message) }
}

function verifyDigest(plan: Plan, transfer: Transfer, reporter: Reporter): void {
  const digest = plan.artifact.digest
  if (!digest) return
  const [algorithm, hex] = digest.split(':', 2)
  if (hex === undefined || algorithm.toLowerCase() !== 'sha256') {
    reporter.debug(`${capitalise(plan.subject)}: digest '${digest}' is of a kind not checked`)
    return
  }
  const expected = hex.toLowerCase()
  if (expected !== transfer.sha256) {
    throw new Error(
      `${capitalise(plan.subject)}: the downloaded bytes do not match the artifact's digest ` +
        `(expected sha256:${expected}, received sha256:${transfer.sha256}); nothing was written`,
    )
  }
}

/** Puts verified downloads in place, one at a time, and says which files a newer one replaced. */
class Writer {
  /**
   * Per destination folder, per file name as its file system sees it: which artifact wrote the
   * file and as what, for the overwrite warnings.
   */
  private readonly writtenBy = new Map<string, Map<string, { artifact: Artifact; file: string }>>()

  constructor(
    private readonly layout: DownloadLayout,
    private readonly reporter: Reporter,
    private readonly rules: FileNameRules,
  ) {}

  private get extractOptions(): ExtractOptions {
    return extractOptions({ rules: this.rules, reporter: this.reporter })
  }

  /** Returns where the artifact landed: its folder, its `.zip`, or its single raw file. */
  async write(plan: Plan, { transfer, staged }: Fetched): Promise<string> {
    let landed: string
    if (!ZIP_TYPES.has(transfer.contentType)) {
      const fileName = transfer.fileName ?? plan.artifact.name
      if (this.rules.windowsNames) {
        checkWindowsName(fileName, () => `${capitalise(plan.subject)}, file '${fileName}'`)
      }
      landed = path.join(plan.folder, fileName)
      await mkdir(plan.folder, { recursive: true })
      await renameRetrying(transfer.file, landed)
      this.noteWritten(plan, [fileName])
    } else if (!this.layout.extract) {
      landed = zipPath(this.layout, plan.artifact)
      await renameRetrying(transfer.file, landed)
    } else {
      landed = plan.folder
      const files = staged
        ? await moveStaged(staged, plan.folder, plan.subject, { rules: this.rules })
        : await extractZip(transfer.file, plan.folder, plan.subject, this.extractOptions)
      this.noteWritten(plan, files)
    }
    this.reporter.info(
      `Downloaded ${plan.subject}, ${formatBytes(transfer.bytes)}, to ${path.resolve(landed)}`,
    )
    return path.resolve(landed)
  }

  private noteWritten(plan: Plan, files: string[]): void {
    const owners = this.writtenBy.get(plan.folder) ?? new Map()
    this.writtenBy.set(plan.folder, owners)
    const replaced = new Map<Artifact, string[]>()
    for (const file of files) {
      const key = this.rules.fold(file)
      const previous = owners.get(key)
      if (previous) {
        // Names that differ only in case are one file where case is ignored: say both.
        const named = previous.file === file ? file : `${file} (was ${previous.file})`
        replaced.set(previous.artifact, [...(replaced.get(previous.artifact) ?? []), named])
      }
      owners.set(key, { artifact: plan.artifact, file })
    }
    for (const [older, names] of replaced) {
      this.reporter.warning(
        `${capitalise(plan.subject)} overwrote ${names.length} file(s) of the older ` +
          `${describe(older)} in ${path.resolve(plan.folder)}: ${names.join(', ')}`,
      )
    }
  }
}

function withWhatWasKept(failure: unknown, result: DownloadResult): unknown {
  if (result.downloaded.length === 0) return failure
  const kept = result.downloaded
    .map(({ artifact, path: landed }) => `'${artifact.name}' in ${landed}`)
    .join(', ')
  const text = failure instanceof Error ? failure.message : String(failure)
  return new Error(`${text}. Downloaded before the failure, and left in place: ${kept}`, {
    cause: failure,
  })
}
