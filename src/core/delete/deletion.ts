import { compareNewestFirst, type Artifact } from '../artifact.js'
import type { ApiSession, ArtifactClient } from '../api.js'
import { systemClock, type Clock } from '../clock.js'
import {
  explainError,
  isHttpError,
  permissionHint,
  RateLimitExhaustedError,
  type Wording,
} from '../errors.js'
import type { Reporter } from '../reporter.js'
import { fullName, type DeleteOptions } from '../request.js'

/**
 * Why a deletion run stopped before the end of the selection:
 * - `max-deletions`: the cap was reached;
 * - `rate-limit`: the primary API rate limit is nearly used up (the step stays green);
 * - `forbidden`: GitHub answered 403, so every further DELETE would fail the same way.
 */
export type DeletionStop = 'max-deletions' | 'rate-limit' | 'forbidden'

export interface DeletionFailure {
  artifact: Artifact
  /** What went wrong, with the HTTP status when there was one. */
  reason: string
}

/** What `deleteArtifacts` did; every list is in deletion order, largest first. */
export interface DeletionResult {
  /** Deleted by this run; in a dry run, those a real run would delete. */
  deleted: Artifact[]
  /** Answered 404: someone else deleted them first. Counted as deleted, not as failures. */
  alreadyGone: Artifact[]
  failed: DeletionFailure[]
  /** Selected but not attempted, because the run stopped (see `stoppedBy`). */
  remaining: Artifact[]
  stoppedBy?: DeletionStop
  /** Why the run stopped, in words, for the log and the job summary. */
  stopReason?: string
  dryRun: boolean
}

/**
 * What deleting works with: the token's session (its pacing and rate limit, one for every
 * repository) and the client of the repository holding each artifact.
 */
export interface DeletionContext {
  session: ApiSession
  clientOf: (artifact: Artifact) => ArtifactClient
  reporter: Reporter
  /** Decides whether a rate-limit reset is still ahead; the session's pacer has its own. */
  clock?: Clock
}

/** Requests left unused when stopping for the primary rate limit: in-flight DELETEs still spend some. */
const RATE_LIMIT_RESERVE = 10
/** Progress lines in the log: one per this many artifacts, not one per artifact. */
const PROGRESS_EVERY = 100
/** Failures named one by one in the step's error; the log has each of them. */
const FAILURES_NAMED = 20

type DeletionAnswer = 'deleted' | 'gone' | { failure: string }

/**
 * Deletes exactly the selected artifacts (the selection was made on the complete listings;
 * nothing is listed here), largest first across every repository, so a run that stops early has
 * freed the most storage it could and the next run carries on from there. DELETEs are paced
 * under GitHub's secondary limit.
 *
 * `max-deletions` caps the DELETE requests: the N largest selected are attempted and the rest
 * are `remaining`. An artifact found already gone counts toward the cap, as it counts as deleted.
 */
export async function deleteArtifacts(
  selected: Artifact[],
  options: DeleteOptions,
  context: DeletionContext,
): Promise<DeletionResult> {
  const { reporter } = context
  const ordered = [...selected].sort(compareLargestFirst)
  const cap = options.maxDeletions ?? ordered.length
  const batch = ordered.slice(0, cap)
  const capStop: Stop | undefined =
    ordered.length > cap ? { cause: 'max-deletions', reason: capReason(cap, reporter) } : undefined

  if (options.dryRun) {
    reporter.info(`Dry run: ${describeCount(batch.length)} would be deleted; nothing is deleted`)
    for (const artifact of batch) reporter.debug(`Would delete ${describe(artifact)}`)
    return {
      deleted: batch,
      alreadyGone: [],
      failed: [],
      remaining: ordered.slice(cap),
      ...stopFields(capStop, ordered.length - batch.length),
      dryRun: true,
    }
  }

  const repositoryOf = (artifact: Artifact) => fullName(context.clientOf(artifact).repository)
  if (batch.length > 0 && !(await reporter.approveDeletion(batch, repositoryOf))) {
    throw new Error(
      `Deletion not confirmed: nothing was deleted (${describeCount(batch.length)} selected)`,
    )
  }
  const outcomes = new Map<number, DeletionAnswer>()
  const stop = await deleteInOrder(batch, context, outcomes)
  const collected = collect(ordered, outcomes)
  const result = { ...collected, ...stopFields(stop ?? capStop, collected.remaining.length) }
  reporter.info(progressLine(result, ordered.length))
  if (result.stopReason && result.stoppedBy === 'max-deletions') reporter.info(result.stopReason)
  else if (result.stopReason) reporter.warning(result.stopReason)
  return result
}

interface Stop {
  cause: DeletionStop
  /** Without the count of what is left, which is known only once in-flight DELETEs settle. */
  reason: string
}

/** Runs the paced DELETEs, recording each outcome; says why it stopped early, if it did. */
async function deleteInOrder(
  batch: Artifact[],
  { session, clientOf, reporter, clock = systemClock }: DeletionContext,
  outcomes: Map<number, DeletionAnswer>,
): Promise<Stop | undefined> {
  let stop: Stop | undefined
  let next = 0
  const take = (): Artifact | undefined => {
    if (next >= batch.length) return undefined
    stop ??= rateLimitStop(session, clock)
    return stop ? undefined : batch[next++]
  }
  const deleteOne = async (artifact: Artifact): Promise<void> => {
    try {
      const answer = await clientOf(artifact).deleteArtifact(artifact.id)
      outcomes.set(artifact.id, answer)
      reporter.debug(`${answer === 'gone' ? 'Already gone' : 'Deleted'}: ${describe(artifact)}`)
    } catch (error) {
      if (error instanceof RateLimitExhaustedError) {
        // Not deleted: it stays for the next run, with everything after it.
        stop ??= {
          cause: 'rate-limit',
          reason:
            error.limit === 'primary'
              ? rateLimitReason(error.resetAt)
              : secondaryLimitReason(error.resetAt),
        }
        return
      }
      const where = fullName(clientOf(artifact).repository)
      const failure = `${describe(artifact)} in ${where}: ${errorMessage(error, reporter.word)}`
      outcomes.set(artifact.id, { failure })
      reporter.info(`Could not delete ${failure}`)
      if (isHttpError(error) && error.status === 403)
        stop ??= { cause: 'forbidden', reason: forbiddenReason(reporter) }
    }
    reporter.progress({ operation: 'delete', done: outcomes.size, total: batch.length })
    if (outcomes.size % PROGRESS_EVERY === 0) {
      reporter.info(`Deleting: ${outcomes.size} of ${batch.length} done`)
    }
  }
  reporter.progress({ operation: 'delete', done: 0, total: batch.length })
  await session.deletions.drain(take, deleteOne)
  return stop
}

/** A stop when the latest answer says the primary limit is nearly used up, and not yet reset. */
function rateLimitStop(session: ApiSession, clock: Clock): Stop | undefined {
  const limit = session.rateLimit()
  if (!limit || limit.remaining >= RATE_LIMIT_RESERVE) return undefined
  const resetAt = new Date(limit.reset * 1000)
  if (resetAt.getTime() <= clock.now()) return undefined
  return {
    cause: 'rate-limit',
    reason: rateLimitReason(resetAt, `${limit.remaining} of ${limit.limit} requests left`),
  }
}

function rateLimitReason(resetAt: Date, left = 'used up'): string {
  return (
    `Stopped deleting to stay within the API rate limit (${left}; it resets at ` +
    `${resetAt.toISOString()}). The next run carries on with the largest of those left`
  )
}

function secondaryLimitReason(resetAt: Date): string {
  return (
    `Stopped deleting: GitHub's secondary rate limit kept refusing requests (come back after ` +
    `${resetAt.toISOString()}). The next run carries on with the largest of those left`
  )
}

function capReason(cap: number, reporter: Reporter): string {
  return `Stopped after ${reporter.word('max-deletions')} (${cap}); the next run carries on with the largest of those left`
}

function forbiddenReason(reporter: Reporter): string {
  return (
    'Stopped deleting: GitHub refused a deletion (HTTP 403) and would refuse the others the same ' +
    `way. The usual cause: ${permissionHint('actions: write', reporter.word)}`
  )
}

function stopFields(
  stop: Stop | undefined,
  left: number,
): Pick<DeletionResult, 'stoppedBy' | 'stopReason'> {
  // A stop after the last artifact was taken left nothing undone.
  if (!stop || left === 0) return {}
  return { stoppedBy: stop.cause, stopReason: `${stop.reason}: ${describeCount(left)} left.` }
}

/** Sorts the outcomes into the result's lists, in the order the artifacts were taken. */
function collect(ordered: Artifact[], outcomes: Map<number, DeletionAnswer>): DeletionResult {
  const result: DeletionResult = {
    deleted: [],
    alreadyGone: [],
    failed: [],
    remaining: [],
    dryRun: false,
  }
  for (const artifact of ordered) {
    const outcome = outcomes.get(artifact.id)
    if (outcome === undefined) result.remaining.push(artifact)
    else if (outcome === 'deleted') result.deleted.push(artifact)
    else if (outcome === 'gone') result.alreadyGone.push(artifact)
    else result.failed.push({ artifact, reason: outcome.failure })
  }
  return result
}

function progressLine(result: DeletionResult, selectedCount: number): string {
  const parts = [`Deleted ${result.deleted.length} of ${describeCount(selectedCount)}`]
  if (result.alreadyGone.length) parts.push(`${result.alreadyGone.length} already gone`)
  if (result.failed.length) parts.push(`${result.failed.length} failed`)
  if (result.remaining.length) parts.push(`${result.remaining.length} left`)
  return parts.join(', ')
}

/**
 * The step's error message for failed deletions, naming each artifact and why (the first
 * FAILURES_NAMED of them; the log names every one).
 */
export function describeDeletionFailures(failed: DeletionFailure[]): string {
  const named = failed.slice(0, FAILURES_NAMED).map((f) => `- ${f.reason}`)
  const more = failed.length - named.length
  return [
    `Could not delete ${describeCount(failed.length)}:`,
    ...named,
    ...(more > 0 ? [`- and ${more} more (each is named in the log)`] : []),
  ].join('\n')
}

/** Largest `size_in_bytes` first; among equals the oldest, as a retention rule would take them. */
function compareLargestFirst(a: Artifact, b: Artifact): number {
  return b.size_in_bytes - a.size_in_bytes || compareNewestFirst(b, a)
}

function describe(artifact: Artifact): string {
  const run = artifact.workflow_run?.id
  return `'${artifact.name}' (id ${artifact.id}${run === undefined ? '' : `, run ${run}`})`
}

function describeCount(count: number): string {
  return `${count} artifact${count === 1 ? '' : 's'}`
}

/** The error's message, with its HTTP status unless the message already gives it. */
/** The error worded for the front end showing it, with its HTTP status. */
function errorMessage(error: unknown, word: Wording): string {
  const message = explainError(error, word)
  const status = isHttpError(error) ? error.status : undefined
  return status === undefined || message.includes(`HTTP ${status}`)
    ? message
    : `HTTP ${status}: ${message}`
}
