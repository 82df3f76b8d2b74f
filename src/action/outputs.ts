import * as core from '@actions/core'
import type { Outcome } from '../core/outcome.js'

/** Sets the step's outputs from what the operation did. */
export function writeOutputs(outcome: Outcome): void {
  const totalBytes = outcome.artifacts.reduce((sum, a) => sum + a.size_in_bytes, 0)
  core.setOutput('artifacts', JSON.stringify(outcome.artifacts))
  core.setOutput('count', String(outcome.artifacts.length))
  core.setOutput('total-bytes', String(totalBytes))
  if (outcome.operation === 'download') {
    core.setOutput('run-id', outcome.runId === undefined ? '' : String(outcome.runId))
    core.setOutput('download-path', outcome.downloadPath ?? '')
  }
  if (outcome.operation === 'delete') core.setOutput('remaining', String(outcome.remaining ?? 0))
}
