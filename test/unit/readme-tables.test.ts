import { describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'yaml'
import { projectRoot } from '../support/action.js'

interface Manifest {
  inputs: Record<string, { required?: boolean; default?: string }>
  outputs: Record<string, unknown>
}

/** What the README's default column shows for a required input that has no default. */
const REQUIRED = 'required'

async function readProjectFile(name: string): Promise<string> {
  return readFile(path.join(projectRoot, name), 'utf8')
}

/** The lines under a `## heading`, up to the next heading of that level or higher. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split(/\r?\n/)
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`)
  if (start < 0) throw new Error(`README has no "## ${heading}" section`)
  const end = lines.findIndex((line, index) => index > start && /^#{1,2} /.test(line))
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** A row's cells, split on the pipes that are not escaped (`\|` may appear inside a cell). */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim())
}

function unquoted(cell: string): string {
  return cell.replace(/^`(.*)`$/, '$1')
}

/**
 * The table rows of a README section, keyed by the `name` in their first cell: the header and
 * delimiter rows hold no such name and are left out.
 */
function readmeTable(markdown: string, heading: string): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const line of section(markdown, heading)) {
    if (!line.trimStart().startsWith('|')) continue
    const [first, ...rest] = cells(line)
    if (/^`[^`]+`$/.test(first)) rows.set(unquoted(first), rest)
  }
  return rows
}

function sortedKeys(map: Map<string, unknown> | Record<string, unknown>): string[] {
  return [...(map instanceof Map ? map.keys() : Object.keys(map))].sort()
}

describe('README tables match action.yml', () => {
  it('names every input of action.yml, and no other, with its default', async () => {
    const { inputs } = parse(await readProjectFile('action.yml')) as Manifest
    const table = readmeTable(await readProjectFile('README.md'), 'Inputs')

    expect(sortedKeys(table)).toEqual(sortedKeys(inputs))
    for (const [name, input] of Object.entries(inputs)) {
      const shown = unquoted(table.get(name)?.[0] ?? '')
      expect({ input: name, default: shown }).toEqual({
        input: name,
        default: input.required && input.default === undefined ? REQUIRED : (input.default ?? ''),
      })
    }
  })

  it('names every output of action.yml, and no other', async () => {
    const { outputs } = parse(await readProjectFile('action.yml')) as Manifest
    const table = readmeTable(await readProjectFile('README.md'), 'Outputs')

    expect(sortedKeys(table)).toEqual(sortedKeys(outputs))
  })
})
