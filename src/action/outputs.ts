import { randomUUID } from 'node:crypto'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { compareNewestFirst, type ArtifactRecord } from '../core/artifact.js'
import type { Outcome } from '../core/outcome.js'
import { bytesOf, repositoryTotals } from '../core/storage-report.js'

/** GitHub refuses a job output larger than 1 MB: the `artifacts` output stays within it. */
const ARTIFACTS_OUTPUT_BYTE_LIMIT = 1_000_000

/**
 * Sets the step's outputs from what the operation did. The `artifacts` output holds as many
 * artifacts as GitHub accepts, newest first; `artifacts-file` names a JSON file holding them all.
 */
export async function writeOutputs(
  outcome: Outcome,
  runnerTemp: string | undefined,
): Promise<void> {
  core.setOutput('artifacts', cappedArtifactsJson(outcome.artifacts))
  core.setOutput('artifacts-file', await writeArtifactsFile(outcome.artifacts, runnerTemp))
  core.setOutput('count', String(outcome.artifacts.length))
  core.setOutput('total-bytes', String(bytesOf(outcome.artifacts)))
  core.setOutput('repositories', JSON.stringify(repositoryTotals(outcome.artifacts)))
  if (outcome.operation === 'download') {
    core.setOutput('run-id', outcome.runId === undefined ? '' : String(outcome.runId))
    core.setOutput('download-path', outcome.downloadPath ?? '')
  }
  if (outcome.operation === 'delete') core.setOutput('remaining', String(outcome.remaining ?? 0))
}

/**
 * The artifacts as a JSON array within the output limit: the newest that fit, in the outcome's
 * order, with a warning naming how many were left out.
 */
function cappedArtifactsJson(artifacts: ArtifactRecord[]): string {
  // Measured one record at a time: a long listing as one string would be tens of megabytes.
  const kept = new Set<ArtifactRecord>()
  let bytes = 2 // the brackets
  for (const artifact of [...artifacts].sort(compareNewestFirst)) {
    const size = Buffer.byteLength(JSON.stringify(artifact)) + (kept.size > 0 ? 1 : 0)
    if (bytes + size > ARTIFACTS_OUTPUT_BYTE_LIMIT) break
    bytes += size
    kept.add(artifact)
  }
  if (kept.size === artifacts.length) return JSON.stringify(artifacts)
  core.warning(
    `The artifacts output holds the newest ${kept.size} of ${artifacts.length} artifacts: GitHub ` +
      `refuses an output over 1 MB. The ${artifacts.length - kept.size} left out are in the file ` +
      'the artifacts-file output names, with all the others',
  )
  return JSON.stringify(artifacts.filter((artifact) => kept.has(artifact)))
}

/**
 * Records written to the artifacts file at a time: a long listing never becomes one string, and
 * each piece (about 40 KB) stays under V8's large-object size, so it dies young instead of
 * piling up in the large-object space until a full collection (tens of MiB for 100,000 records).
 */
const RECORDS_PER_WRITE = 100

/** Every artifact, as JSON, in a file of its own under the runner's temporary folder. */
async function writeArtifactsFile(
  artifacts: ArtifactRecord[],
  runnerTemp: string | undefined,
): Promise<string> {
  const file = path.join(runnerTemp || tmpdir(), `manage-artifacts-${randomUUID()}.json`)
  const handle = await open(file, 'wx')
  try {
    for (let start = 0; start === 0 || start < artifacts.length; start += RECORDS_PER_WRITE) {
      const batch = artifacts.slice(start, start + RECORDS_PER_WRITE).map((a) => JSON.stringify(a))
      const opening = start === 0 ? '[' : ','
      const closing = start + RECORDS_PER_WRITE >= artifacts.length ? ']' : ''
      await handle.write(opening + batch.join(',') + closing)
    }
  } finally {
    await handle.close()
  }
  return file
}
