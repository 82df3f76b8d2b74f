import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { runAction, type ActionResult } from '../support/action.js'
import type { Emulator } from '../support/emulator/index.js'
import { daysAgo, tree, useEmulator, useScratchFolder } from '../support/fixtures.js'

/*
 * The bundled action on the file system of the machine running the tests, with the rules of
 * its platform: on Linux every name below is legal and case counts; CI runs these same tests on
 * Windows and macOS runners, where the expectations are those of NTFS and APFS.
 */
const windows = process.platform === 'win32'
const caseIgnored = process.platform === 'win32' || process.platform === 'darwin'

const start = useEmulator()
/** Holds the workspace, so that anything written beside it shows. */
const scratch = useScratchFolder('platform-names-')
let workspace: string

beforeEach(async () => {
  workspace = path.join(scratch.path, 'workspace')
  await mkdir(workspace)
})

const RUN = 7_400

function download(server: Emulator, inputs: Record<string, string>): Promise<ActionResult> {
  return runAction({
    inputs: { operation: 'download', 'run-id': String(RUN), ...inputs },
    emulator: server,
    workspace,
  })
}

describe('download, by the file-name rules of the runner it runs on', () => {
  const awkward = {
    'readme.txt': 'fine',
    CON: 'device',
    'logs/nul.txt': 'device with an extension',
    'notes.txt:hidden': 'alternate data stream',
    'what?': 'forbidden character',
    'trailing.': 'trailing dot',
  }

  it(
    windows
      ? 'refuses names Windows cannot hold, naming the entry and the artifact, writing nothing'
      : 'writes names Windows could not hold as they are',
    async () => {
      const server = await start([
        { id: RUN, workflow: 'build.yml', artifacts: [{ name: 'awkward', files: awkward }] },
      ])
      const [artifact] = server.artifacts()

      const result = await download(server, { name: 'awkward' })

      if (windows) {
        expect(result.exitCode).toBe(1)
        expect(result.errors.join('\n')).toContain(
          `Refusing to extract artifact 'awkward' (id ${artifact.id}, run ${RUN}): its entry ` +
            "'CON' uses the reserved device name 'CON' (not a valid file name on Windows)",
        )
        expect(await tree(scratch.path)).toEqual({ 'workspace/': '' })
      } else {
        expect(result.exitCode).toBe(0)
        expect(await tree(workspace)).toEqual({ ...awkward, 'logs/': '' })
      }
    },
  )

  it(
    caseIgnored
      ? 'writes names differing only in case as one file, the later one, with a warning'
      : 'keeps names differing only in case apart, since case counts here',
    async () => {
      const server = await start([
        {
          id: RUN,
          workflow: 'build.yml',
          artifacts: [
            {
              name: 'part-old',
              files: {
                'Notes.TXT': 'old notes',
                'Docs/Guide.md': 'first',
                'DOCS/guide.md': 'second',
              },
              createdAt: daysAgo(2),
            },
            { name: 'part-new', files: { 'notes.txt': 'new notes' }, createdAt: daysAgo(1) },
          ],
        },
      ])

      const result = await download(server, { name: 'part-*', 'merge-multiple': 'true' })

      expect(result.exitCode).toBe(0)
      if (caseIgnored) {
        expect(await tree(workspace)).toEqual({
          'notes.txt': 'new notes',
          'Docs/': '',
          'Docs/guide.md': 'second',
        })
        expect(result.warnings).toEqual([
          expect.stringContaining(
            "holds names that differ only in case, one file on this runner's file system; the " +
              "later entry of each was kept: 'Docs/guide.md' replaced 'Docs/Guide.md'",
          ),
          expect.stringMatching(
            /^Artifact 'part-new' .* overwrote 1 file\(s\) of the older artifact 'part-old' .*: notes\.txt \(was Notes\.TXT\)$/,
          ),
        ])
      } else {
        expect(await tree(workspace)).toEqual({
          'Notes.TXT': 'old notes',
          'notes.txt': 'new notes',
          'Docs/': '',
          'Docs/Guide.md': 'first',
          'DOCS/': '',
          'DOCS/guide.md': 'second',
        })
        expect(result.warnings).toEqual([])
      }
    },
  )
})
