import * as core from '@actions/core'
import { toRecord } from './artifact.js'
import { createArtifactClient } from './client.js'
import type { ArtifactClient } from './client-types.js'
import { deleteArtifacts, describeDeletionFailures } from './deletion.js'
import { downloadArtifacts } from './download.js'
import { readSettings } from './inputs.js'
import type { Outcome } from './outcome.js'
import { writeOutputs } from './outputs.js'
import type { Reporter } from './reporter.js'
import { selectArtifacts, type Selection } from './selection.js'
import type { Settings } from './settings.js'
import { buildSummary } from './summary.js'

const QUOTA_NOTE =
  'GitHub recalculates storage usage every 6 to 12 hours, so the freed space shows in the quota later.'

/** The action: read the inputs, select, act, then report through outputs and the job summary. */
export async function run(): Promise<void> {
  try {
    const settings = readSettings((name) => core.getInput(name), process.env)
    const reporter = actionsReporter()
    const client = createArtifactClient({
      token: settings.token,
      repository: settings.repository,
      reporter,
    })
    const selection = await selectArtifacts(settings, client, reporter)
    if (selection.selected.length === 0) reportNothingFound(settings, selection)
    const outcome = await perform({ settings, selection, client, reporter })
    writeOutputs(outcome)
    await core.summary.addRaw(buildSummary(outcome)).write()
    if (outcome.failures.length > 0) core.setFailed(outcome.failures.join('\n'))
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  }
}

function actionsReporter(): Reporter {
  return {
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    debug: (message) => core.debug(message),
    mask: (secret) => core.setSecret(secret),
  }
}

/** `if-no-artifact-found`: say what was searched, so the message can be acted on. */
function reportNothingFound(settings: Settings, selection: Selection): void {
  const kept = selection.kept.length ? ` (${selection.kept.length} kept by keep-latest)` : ''
  const message = `No artifact found${kept}. Searched ${selection.searched}.`
  if (settings.ifNoArtifactFound === 'fail') throw new Error(message)
  if (settings.ifNoArtifactFound === 'warn') core.warning(message)
  else core.info(message)
}

/** What an operation works with once the inputs are read and the artifacts selected. */
interface Job {
  settings: Settings
  selection: Selection
  client: ArtifactClient
  reporter: Reporter
}

type OperationResult = Partial<Outcome> & Pick<Outcome, 'artifacts'>

async function perform(job: Job): Promise<Outcome> {
  const base = {
    operation: job.settings.operation,
    dryRun: false,
    kept: job.selection.kept.length,
    notes: [],
    failures: [],
  }
  switch (job.settings.operation) {
    case 'list':
      return { ...base, artifacts: job.selection.selected.map((a) => toRecord(a)) }
    case 'download':
      return { ...base, ...(await download(job)) }
    case 'delete':
      return { ...base, ...(await remove(job)) }
  }
}

async function download({ settings, selection, client, reporter }: Job): Promise<OperationResult> {
  const result = await downloadArtifacts(selection.selected, settings, client, reporter)
  return {
    artifacts: result.downloaded.map(({ artifact, path }) => toRecord(artifact, path)),
    runId: selection.runId,
    downloadPath: settings.path,
    notes: result.deleted.length
      ? [`${result.deleted.length} artifact(s) deleted after download.`]
      : [],
  }
}

async function remove({ settings, selection, client, reporter }: Job): Promise<OperationResult> {
  const result = await deleteArtifacts(selection.selected, settings, client, reporter)
  const notes = result.dryRun ? ['Dry run: nothing was deleted.'] : [QUOTA_NOTE]
  if (result.stopReason) notes.unshift(result.stopReason)
  return {
    dryRun: result.dryRun,
    artifacts: [...result.deleted, ...result.alreadyGone].map((a) => toRecord(a)),
    remaining: result.remaining.length,
    notes,
    failures: result.failed.length ? [describeDeletionFailures(result.failed)] : [],
  }
}
