import type { ArtifactRecord } from './artifact.js'
import type { Operation } from './request.js'

/** What an operation did, in the terms a front end reports: outputs, a summary, a table. */
export interface Outcome {
  operation: Operation
  /** Listed, downloaded, deleted, or (dry run) to be deleted. */
  artifacts: ArtifactRecord[]
  dryRun: boolean
  /** How many candidates `keep-latest` protected. */
  kept: number
  runId?: number
  downloadPath?: string
  /** `delete`: selected artifacts left undeleted. */
  remaining?: number
  /** Things the reader should know (why a run stopped, quota timing...). */
  notes: string[]
  /** Per-artifact failures: the operation fails at the end, naming each. */
  failures: string[]
}
