import { explainError, SettingError, type Wording } from '../core/errors.js'

/** Exit codes: the operation failed; the command line was wrong (nothing was asked of the API). */
export const FAILED = 1
export const BAD_USAGE = 2

/** A command line that cannot be run as given, worded for the terminal already. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * Settings are flags here: `--run-id`, `--allow-forks`, `--name '*'`. The token has no flag: it
 * comes from the environment, so messages about it name the variable.
 */
export const flagWording: Wording = (setting, value) => {
  if (setting === 'github-token') return 'GITHUB_TOKEN'
  if (setting === 'operation') return 'the command'
  if (setting === 'extract') return '--no-extract'
  const flag = `--${setting}`
  return value === undefined || value === 'true' ? flag : `${flag} ${value}`
}

/** What the terminal shows for an error, and the exit code it ends with. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  const message = explainError(error, flagWording)
  if (error instanceof SettingError) {
    return { message: `${flagWording(error.setting)}: ${message}`, exitCode: BAD_USAGE }
  }
  return { message, exitCode: error instanceof UsageError ? BAD_USAGE : FAILED }
}
