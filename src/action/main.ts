import * as core from '@actions/core'
import { execute } from '../core/execute.js'
import { GitHubSession } from '../github/session.js'
import { runnerCache } from './cache.js'
import { readActionSettings } from './inputs.js'
import { writeOutputs } from './outputs.js'
import { runnerProxyFetch } from '../transport/proxy.js'
import { actionReporter, describeFailure } from './reporter.js'
import { runnerStorage } from '../transport/storage.js'
import { buildSummary } from './summary.js'
import { errorText } from '../core/errors.js'

/** The action: read the inputs, let the core act, then report through outputs and the summary. */
export async function run(): Promise<void> {
  try {
    const { request, token, apiUrl } = readActionSettings(
      (name) => core.getInput(name),
      process.env,
    )
    const session = new GitHubSession(
      { token, apiUrl, fetch: runnerProxyFetch(apiUrl) },
      runnerStorage(),
      actionReporter,
    )
    const outcome = await execute(request, session, actionReporter, { cache: runnerCache() })
    await writeOutputs(outcome, process.env.RUNNER_TEMP)
    await writeSummary(buildSummary(outcome))
    if (outcome.failures.length > 0) core.setFailed(outcome.failures.join('\n'))
  } catch (error) {
    core.setFailed(describeFailure(error))
  }
}

/** The work is done by now: a summary GitHub cannot take is worth a warning, not a failed step. */
async function writeSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorText(error)}`)
  }
}
