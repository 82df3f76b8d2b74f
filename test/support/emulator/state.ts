import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { buildZip } from '../zip.js'
import type { EmulatedArtifact, EmulatedRun, SeedArtifact, SeedRun } from './types.js'

const DAY_MS = 24 * 60 * 60 * 1000
const RETENTION_MS = 90 * DAY_MS
/** Gap between the default creation times of consecutive seeded runs. */
const RUN_SPACING_MS = 60_000

// Distinct id ranges, so a test that mixes up run, workflow and artifact ids fails.
const FIRST_WORKFLOW_ID = 5001
const FIRST_RUN_ID = 7_000_000_001
const FIRST_ARTIFACT_ID = 2_000_000_001

/** What the storage host serves for an artifact. */
export interface ArtifactBody {
  size: number
  contentType: string
  /** For Content-Disposition. */
  fileName: string
  /** Known up front, except for streamed `content`. */
  bytes?: Buffer
  /** As SeedArtifact.content's `stream`: declared parameters mean it honours the range. */
  open: (start: number, end: number) => NodeJS.ReadableStream
}

export interface StoredArtifact extends EmulatedArtifact {
  body: ArtifactBody
}

export interface StoredWorkflow {
  id: number
  /** File name, e.g. 'build.yml'. */
  file: string
  createdAt: string
}

export interface StoredRun extends EmulatedRun {
  runNumber: number
  pullRequests: number[]
}

export interface RunQuery {
  workflowId?: number
  branch?: string
  event?: string
  /** A status or a conclusion, as GitHub accepts either. */
  status?: string
  headSha?: string
}

/** GitHub's timestamp format: seconds precision, UTC. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** Newest first: created_at, then id, both descending (the order GitHub lists in). */
// Listing sorts every stored artifact on each request: parse each timestamp once, not per comparison.
const parsedTimes = new Map<string, number>()
function time(iso: string): number {
  let parsed = parsedTimes.get(iso)
  if (parsed === undefined) {
    parsed = Date.parse(iso)
    parsedTimes.set(iso, parsed)
  }
  return parsed
}

function newestFirst(a: { createdAt: string; id: number }, b: { createdAt: string; id: number }) {
  return time(b.createdAt) - time(a.createdAt) || b.id - a.id
}

/** Ids counting up; an id given explicitly moves the count past it. */
class IdSequence {
  constructor(private next: number) {}

  take(given?: number): number {
    const id = given ?? this.next
    this.next = Math.max(this.next, id + 1)
    return id
  }
}

/**
 * Ids every repository draws from, as run, workflow and artifact ids are unique across GitHub,
 * and which repository holds each artifact: storage URLs name only the artifact id.
 */
export class SharedIds {
  readonly workflows = new IdSequence(FIRST_WORKFLOW_ID)
  readonly runs = new IdSequence(FIRST_RUN_ID)
  private readonly artifactIds = new IdSequence(FIRST_ARTIFACT_ID)
  private readonly artifactHolders = new Map<number, RepositoryState>()

  claimArtifact(holder: RepositoryState, given?: number): number {
    const id = this.artifactIds.take(given)
    const current = this.artifactHolders.get(id)
    if (current && current !== holder)
      throw new Error(`artifact id ${id} is used by two repositories`)
    this.artifactHolders.set(id, holder)
    return id
  }

  /** An artifact of any repository, unless deleted. */
  artifact(id: number): StoredArtifact | undefined {
    return this.artifactHolders.get(id)?.artifact(id)
  }
}

/** The repository's runs, workflows and artifacts; deletions take effect at once. */
export class RepositoryState {
  private readonly workflows: StoredWorkflow[] = []
  private readonly runList: StoredRun[] = []
  private readonly artifactList: StoredArtifact[] = []

  constructor(
    runs: SeedRun[],
    private readonly ids: SharedIds,
  ) {
    const undated = runs.filter((run) => run.createdAt === undefined).length
    // Seeded runs end a minute before now, so runs added later are the newest.
    let clock = Math.floor(Date.now() / 1000) * 1000 - undated * RUN_SPACING_MS
    for (const run of runs) {
      this.insertRun(run, isoSeconds(clock))
      if (run.createdAt === undefined) clock += RUN_SPACING_MS
    }
  }

  addRun(run: SeedRun): void {
    const latest = Math.max(
      0,
      ...this.runList.map((r) => Date.parse(r.createdAt)),
      ...this.artifactList.map((a) => Date.parse(a.createdAt)),
    )
    this.insertRun(run, isoSeconds(Math.max(Date.now(), latest + 1000)))
  }

  /** Artifacts not deleted, newest first; optionally one run's and/or one exact name. */
  artifacts(filter: { runId?: number; name?: string } = {}): StoredArtifact[] {
    return this.artifactList
      .filter((a) => filter.runId === undefined || a.runId === filter.runId)
      .filter((a) => filter.name === undefined || a.name === filter.name)
      .sort(newestFirst)
  }

  artifact(id: number): StoredArtifact | undefined {
    return this.artifactList.find((a) => a.id === id)
  }

  /** False when the artifact is unknown or already deleted. */
  deleteArtifact(id: number): boolean {
    const index = this.artifactList.findIndex((a) => a.id === id)
    if (index < 0) return false
    this.artifactList.splice(index, 1)
    return true
  }

  runs(query: RunQuery = {}): StoredRun[] {
    return this.runList
      .filter((r) => query.workflowId === undefined || r.workflowId === query.workflowId)
      .filter((r) => query.branch === undefined || r.branch === query.branch)
      .filter((r) => query.event === undefined || r.event === query.event)
      .filter((r) => query.headSha === undefined || r.sha === query.headSha)
      .filter(
        (r) =>
          query.status === undefined || r.status === query.status || r.conclusion === query.status,
      )
      .sort(newestFirst)
  }

  run(id: number): StoredRun | undefined {
    return this.runList.find((r) => r.id === id)
  }

  /** The newest run naming the pull request: its head is that run's branch and commit. */
  pullRequestHead(number: number): StoredRun | undefined {
    return this.runs().find((r) => r.pullRequests.includes(number))
  }

  /** By numeric id or by file name, as the workflow endpoints accept either. */
  workflow(idOrFile: string): StoredWorkflow | undefined {
    return this.workflows.find((w) => String(w.id) === idOrFile || w.file === idOrFile)
  }

  workflowById(id: number): StoredWorkflow | undefined {
    return this.workflows.find((w) => w.id === id)
  }

  private insertRun(seed: SeedRun, defaultCreatedAt: string): void {
    const createdAt = seed.createdAt ?? defaultCreatedAt
    const workflow = this.workflowFor(seed.workflow, createdAt)
    const id = this.ids.runs.take(seed.id)
    const run: StoredRun = {
      id,
      workflowId: workflow.id,
      workflow: workflow.file,
      runNumber: this.runList.filter((r) => r.workflowId === workflow.id).length + 1,
      branch: seed.branch ?? 'main',
      sha: seed.sha ?? createHash('sha1').update(`run ${id}`).digest('hex'),
      event: seed.event ?? 'push',
      status: seed.status ?? 'completed',
      conclusion: seed.conclusion === undefined ? 'success' : seed.conclusion,
      createdAt,
      fromFork: (seed.fromFork ?? false) || (seed.forkDeleted ?? false),
      forkDeleted: seed.forkDeleted ?? false,
      pullRequests: seed.pullRequests ?? [],
    }
    this.runList.push(run)
    for (const artifact of seed.artifacts ?? []) this.insertArtifact(artifact, run)
  }

  private workflowFor(file: string, createdAt: string): StoredWorkflow {
    const known = this.workflows.find((w) => w.file === file)
    if (known) return known
    const workflow = { id: this.ids.workflows.take(), file, createdAt }
    this.workflows.push(workflow)
    return workflow
  }

  private insertArtifact(seed: SeedArtifact, run: StoredRun): void {
    const id = this.ids.claimArtifact(this, seed.id)
    const createdAt = seed.createdAt ?? run.createdAt
    const expired = seed.expired ?? false
    const body = artifactBody(seed)
    this.artifactList.push({
      id,
      name: seed.name,
      runId: run.id,
      createdAt,
      expiresAt: seed.expiresAt ?? defaultExpiry(createdAt, expired),
      expired,
      sizeInBytes: seed.sizeInBytes ?? body.size,
      digest: seed.digest === undefined ? defaultDigest(body) : seed.digest,
      body,
    })
  }
}

function defaultExpiry(createdAt: string, expired: boolean): string {
  const retained = Date.parse(createdAt) + RETENTION_MS
  return isoSeconds(expired ? Math.min(retained, Date.now()) : retained)
}

function defaultDigest(body: ArtifactBody): string | null {
  if (!body.bytes) return null
  return `sha256:${createHash('sha256').update(body.bytes).digest('hex')}`
}

function artifactBody(seed: SeedArtifact): ArtifactBody {
  if (seed.content) {
    const { size, stream } = seed.content
    return { size, contentType: 'application/zip', fileName: `${seed.name}.zip`, open: stream }
  }
  if (seed.rawFile) {
    const { fileName, data, contentType } = seed.rawFile
    return bufferBody(data, contentType ?? 'application/octet-stream', fileName)
  }
  const files = seed.files ?? { 'README.txt': seed.name }
  const zip = seed.zip ?? buildZip(Object.entries(files).map(([name, data]) => ({ name, data })))
  return bufferBody(zip, 'application/zip', `${seed.name}.zip`)
}

function bufferBody(bytes: Buffer, contentType: string, fileName: string): ArtifactBody {
  const open = (start: number, end: number) => Readable.from([bytes.subarray(start, end + 1)])
  return { size: bytes.length, contentType, fileName, bytes, open }
}

export function describeArtifact(artifact: StoredArtifact): EmulatedArtifact {
  const { id, name, runId, createdAt, expiresAt, expired, sizeInBytes, digest } = artifact
  return { id, name, runId, createdAt, expiresAt, expired, sizeInBytes, digest }
}

export function describeRun(run: StoredRun): EmulatedRun {
  const { id, workflowId, workflow, branch, sha, event, status, conclusion, createdAt } = run
  return {
    id,
    workflowId,
    workflow,
    branch,
    sha,
    event,
    status,
    conclusion,
    createdAt,
    fromFork: run.fromFork,
    forkDeleted: run.forkDeleted,
  }
}
