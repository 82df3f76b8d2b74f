import { describe, expect, it } from '@jest/globals'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'yaml'
import { projectRoot } from '../../support/action.js'

interface Manifest {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
  runs: { using: string; main: string; post: string }
}

/** The inputs and their defaults: names are fixed, users rely on them. */
const FIXED_INPUTS: Record<string, string | undefined> = {
  operation: undefined,
  'github-token': '${{ github.token }}',
  repository: '${{ github.repository }}',
  'run-id': '',
  name: '',
  exclude: '',
  workflow: '',
  branch: '',
  event: '',
  commit: '',
  'pull-request': '',
  'workflow-conclusion': '',
  'allow-forks': 'false',
  path: '${{ github.workspace }}',
  'merge-multiple': 'false',
  extract: 'true',
  'delete-after-download': 'false',
  'if-no-artifact-found': '',
  'older-than': '',
  'keep-latest': '0',
  'min-size': '',
  'dry-run': 'false',
  'max-deletions': '',
  cache: 'false',
}
const FIXED_OUTPUTS = [
  'artifacts',
  'artifacts-file',
  'count',
  'total-bytes',
  'run-id',
  'download-path',
  'remaining',
  'repositories',
]

async function manifest(): Promise<Manifest> {
  return parse(await readFile(path.join(projectRoot, 'action.yml'), 'utf8')) as Manifest
}

describe('action.yml', () => {
  it('declares every fixed input with its default and a description', async () => {
    const { inputs } = await manifest()

    expect(Object.keys(inputs).sort()).toEqual(Object.keys(FIXED_INPUTS).sort())
    for (const [name, defaultValue] of Object.entries(FIXED_INPUTS)) {
      expect(inputs[name].default).toBe(defaultValue)
      expect(inputs[name].description.length).toBeGreaterThan(10)
    }
    expect(inputs.operation.required).toBe(true)
  })

  it('declares every output and runs the bundle on node24, and its post step always', async () => {
    const { outputs, runs } = await manifest()

    expect(Object.keys(outputs).sort()).toEqual([...FIXED_OUTPUTS].sort())
    expect(runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/post/index.js',
      'post-if': 'always()',
    })
    for (const bundle of [runs.main, runs.post]) {
      await expect(stat(path.join(projectRoot, bundle))).resolves.toBeDefined()
    }
  })

  it('asks for Node 20.15 or newer, where zlib.crc32 arrived, in package.json, its lock and the README', async () => {
    const json = async (file: string) =>
      JSON.parse(await readFile(path.join(projectRoot, file), 'utf8')) as {
        engines?: { node: string }
        packages?: Record<string, { engines?: { node: string } }>
      }

    expect((await json('package.json')).engines?.node).toBe('>=20.15')
    expect((await json('package-lock.json')).packages?.['']?.engines?.node).toBe('>=20.15')
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8')
    expect(readme).toContain('Node.js 20.15 or newer')
  })
})
