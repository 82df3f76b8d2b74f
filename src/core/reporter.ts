import type { Leftovers } from './download/leftovers.js'
import type { Wording } from './errors.js'

/**
 * How the core (selection, download, deletion) talks to whoever runs it: the action wires it to
 * the runner's log, a terminal front end to the console. `word` names a setting the way that
 * front end's user writes it, for messages that tell the user what to change.
 */
export interface Reporter {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Keep a value (token, signed URL) out of every later log line. */
  mask(secret: string): void
  word: Wording
  /**
   * Where a download is about to make temporary files. A front end that can act after this
   * process is killed (the action's post step) keeps it, and removes what was left.
   */
  temporaryFiles?(leftovers: Leftovers): void
}
