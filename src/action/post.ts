import * as core from '@actions/core'
import { removeLeftovers, type Leftovers } from '../core/download/leftovers.js'
import { LEFTOVERS_STATE } from './reporter.js'
import { errorText } from '../core/errors.js'

/**
 * The post step, run by the runner at the end of the job whatever happened: when the main step
 * was cancelled or killed mid-download, it removes the partial files and staging folders it
 * left. Finished downloads are never touched. A failure here is a warning: the job's outcome
 * is the main step's.
 */
function cleanUp(): void {
  const saved = core.getState(LEFTOVERS_STATE)
  if (saved === '') return
  try {
    for (const leftover of removeLeftovers(JSON.parse(saved) as Leftovers)) {
      core.info(`Removed ${leftover}, left half-done by the download`)
    }
  } catch (error) {
    core.warning(`Removing what the download left half-done: ${errorText(error)}`)
  }
}

cleanUp()
