import * as core from '@actions/core'
import { explainError, SettingError, type Wording } from '../core/errors.js'
import type { Reporter } from '../core/reporter.js'

/** Settings are inputs here: `run-id`, and with a value as a workflow would write it. */
const inputWording: Wording = (setting, value) =>
  value === undefined ? setting : `${setting}: ${value}`

/** The saved state that tells the post step where the main step made temporary files. */
export const LEFTOVERS_STATE = 'leftovers'

/**
 * The core's messages go to the runner's log, warnings as annotations. Where a download makes
 * temporary files is saved at once (the runner's state file), since a cancelled step is killed.
 */
export const actionReporter: Reporter = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
  mask: (secret) => core.setSecret(secret),
  word: inputWording,
  // The log is no place for a progress bar: the log lines of downloads and deletions suffice.
  progress: () => undefined,
  // The workflow that runs the step with `operation: delete` is the user's consent.
  approveDeletion: () => Promise.resolve(true),
  temporaryFiles: (leftovers) => core.saveState(LEFTOVERS_STATE, JSON.stringify(leftovers)),
}

/** An error as the step's failure message: a bad setting is named as the input to fix. */
export function describeFailure(error: unknown): string {
  const text = explainError(error, inputWording)
  return error instanceof SettingError ? `Input '${error.setting}': ${text}` : text
}
