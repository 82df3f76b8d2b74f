import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { projectRoot, spawnNode, type ProcessResult } from '../support/action.js'
import { useScratchFolder } from '../support/fixtures.js'

const scratch = useScratchFolder('lint-actions-')

/** `npm run lint:actions` on the files given (default: the workflows and action.yml). */
function lintActions(files: string[] = []): Promise<ProcessResult> {
  return spawnNode(process.execPath, ['--import', 'tsx', 'scripts/lint-actions.ts', ...files], {
    env: { PATH: process.env.PATH ?? '' },
    cwd: projectRoot,
  })
}

/** A copy of a project file under `name` in the scratch folder, with `edit` applied. */
async function brokenCopy(
  file: string,
  name: string,
  edit: (text: string) => string,
): Promise<string> {
  const copy = path.join(scratch.path, name)
  const text = await readFile(path.join(projectRoot, file), 'utf8')
  const edited = edit(text)
  expect(edited).not.toBe(text)
  await writeFile(copy, edited)
  return copy
}

describe('npm run lint:actions', () => {
  it('passes the committed workflows and action.yml', async () => {
    const result = await lintActions()

    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('4 file(s) valid')
  })

  it('fails on an action.yml with an unknown runtime or branding icon, naming each line', async () => {
    const action = await brokenCopy('action.yml', 'action.yml', (text) =>
      text.replace("using: 'node24'", "using: 'node99'").replace("icon: 'archive'", "icon: 'nope'"),
    )

    const result = await lintActions([action])

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/action\.yml:\d+:\d+: Unexpected value 'node99'/)
    expect(result.stderr).toMatch(/action\.yml:\d+:\d+: Unexpected value 'nope'/)
  })

  it('fails on a workflow whose job needs one that does not exist', async () => {
    const workflow = await brokenCopy('.github/workflows/self-test.yml', 'self-test.yml', (text) =>
      text.replace('needs: upload-list-download', 'needs: no-such-job'),
    )

    const result = await lintActions([workflow])

    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("depends on unknown job 'no-such-job'")
  })
})
