/**
 * Validates the workflows and action.yml with @actions/workflow-parser, GitHub's own parser for
 * them (the one behind its Actions language service): the schemas, expression syntax, and the
 * checks made when a workflow is turned into jobs (`needs`, matrix, ...).
 *
 * Usage: tsx scripts/lint-actions.ts [file ...]; by default .github/workflows/*.yml and action.yml.
 * Exits 1 after printing every problem found.
 */
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow,
  type TemplateParseResult,
} from '@actions/workflow-parser'
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index'
import type { File } from '@actions/workflow-parser/workflows/file'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'

const WORKFLOWS = '.github/workflows'
const ACTION_MANIFEST = 'action.yml'

async function defaultFiles(): Promise<string[]> {
  const workflows = (await readdir(WORKFLOWS)).filter((name) => /\.ya?ml$/.test(name)).sort()
  return [...workflows.map((name) => path.join(WORKFLOWS, name)), ACTION_MANIFEST]
}

function isActionManifest(file: string): boolean {
  return /^action\.ya?ml$/.test(path.basename(file))
}

/** Conversion is where cross-references (`needs`, matrix, action `runs`) are checked. */
async function validate(file: File): Promise<TemplateParseResult> {
  const trace = new NoOperationTraceWriter()
  if (isActionManifest(file.name)) {
    const parsed = parseAction(file, trace)
    if (parsed.value) convertActionTemplate(parsed.context, parsed.value)
    return parsed
  }
  const parsed = parseWorkflow(file, trace)
  if (parsed.value) await convertWorkflowTemplate(parsed.context, parsed.value)
  return parsed
}

function describe(file: string, { context }: TemplateParseResult): string[] {
  return context.errors.getErrors().map((error) => {
    const where = error.range ? `:${error.range.start.line}:${error.range.start.column}` : ''
    return `${file}${where}: ${error.rawMessage}`
  })
}

async function main(): Promise<void> {
  const files = process.argv.length > 2 ? process.argv.slice(2) : await defaultFiles()
  let problems = 0
  for (const file of files) {
    const result = await validate({ name: file, content: await readFile(file, 'utf8') })
    const messages = describe(file, result)
    for (const message of messages) console.error(message)
    problems += messages.length
  }
  if (problems > 0) {
    console.error(`${problems} problem(s) in ${files.length} file(s)`)
    process.exit(1)
  }
  console.log(`${files.length} file(s) valid: ${files.join(', ')}`)
}

await main()
