import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { partialPathBeside } from '../../../src/core/download/extraction.js'
import { leftoversOf, removeLeftovers } from '../../../src/core/download/leftovers.js'
import { tree, useScratchFolder } from '../../support/fixtures.js'

const scratch = useScratchFolder('leftovers-')

describe('removeLeftovers', () => {
  it("removes this process's partial files and staging folders, and nothing else", async () => {
    const inside = path.join(scratch.path, 'out')
    await mkdir(path.join(inside, 'done'), { recursive: true })
    await writeFile(path.join(inside, 'done', 'kept.txt'), 'finished')
    await writeFile(path.join(inside, '.config.partial-notes'), 'a user file')
    // Another process's temporary file: its marker differs.
    await writeFile(path.join(inside, '.dist.partial-0123456789ab-0123456789ab'), 'not ours')
    const partial = partialPathBeside(path.join(inside, 'dist'))
    const staging = partialPathBeside(path.join(inside, 'dist'))
    await writeFile(partial, 'half a download')
    await mkdir(path.join(staging, 'deep', 'er'), { recursive: true })
    await writeFile(path.join(staging, 'deep', 'er', 'half.txt'), 'half an extraction')
    const missing = path.join(scratch.path, 'never-made', 'x')

    const removed = removeLeftovers(leftoversOf([partial, staging, missing]))

    expect(removed.sort()).toEqual([partial, staging].sort())
    expect(await tree(inside)).toEqual({
      'done/': '',
      'done/kept.txt': 'finished',
      '.config.partial-notes': 'a user file',
      '.dist.partial-0123456789ab-0123456789ab': 'not ours',
    })
  })
})
