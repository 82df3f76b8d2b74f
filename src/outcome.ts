import type { ArtifactRecord } from './artifact.js'
import type { Operation } from './settings.js'

/** What an operation did, in the terms of the step's outputs and summary. */
export interface Outcome {
  operation: Operation
  /** Listed, downloaded, deleted, or (dry run) to be deleted. */
  artifacts: ArtifactRecord[]
  dryRun: boolean
  /** Candidates protected by `keep-latest`. */
  kept: number
  runId?: number
  downloadPath?: string
  /** `delete`: selected artifacts left undeleted. */
  remaining?: number
  /** Things the reader of the summary should know (why a run stopped, quota timing...). */
  notes: string[]
  /** Per-artifact failures: the step fails at the end, naming each. */
  failures: string[]
}
