import type { Artifact } from './artifact.js'
import type { Leftovers } from './download/leftovers.js'
import type { Wording } from './errors.js'

/**
 * How far a long operation has come: for `download` the bytes received of the selected
 * artifacts' total size, for `delete` the artifacts settled (deleted, gone or failed) of those
 * to delete.
 */
export interface Progress {
  operation: 'download' | 'delete'
  done: number
  total: number
}

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
  /** Called often (per chunk received, per deletion): a front end that draws it throttles. */
  progress(progress: Progress): void
  /**
   * Asked once before the first real deletion, with exactly the artifacts about to be deleted
   * and the repository (`owner/name`) holding each; false deletes nothing. A front end whose
   * user already consented (a workflow step) says yes.
   */
  approveDeletion(
    artifacts: readonly Artifact[],
    repositoryOf: (artifact: Artifact) => string,
  ): Promise<boolean>
  /**
   * Where a download is about to make temporary files. A front end that can act after this
   * process is killed (the action's post step) keeps it, and removes what was left.
   */
  temporaryFiles?(leftovers: Leftovers): void
}
