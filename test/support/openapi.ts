import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >
  components: { schemas: Record<string, { required?: string[] }> }
}

/** api.github.com's; GitHub Enterprise Server's are e.g. 'ghes-3.19.json'. */
const GITHUB_COM = 'api.github.com.json'

/** A description GitHub publishes of its REST API, as @octokit/openapi ships it. */
export function loadDescription(file = GITHUB_COM): OpenApiDocument {
  const require = createRequire(import.meta.url)
  const path = require.resolve(`@octokit/openapi/generated/${file}`)
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument
}

/**
 * One validator per operation, from the schema of its 200 answer in the description `file`.
 * The schemas and responses go into one document, so their `#/components/schemas/...` refs
 * resolve.
 */
export function responseValidators(
  paths: string[],
  file = GITHUB_COM,
): Record<string, ValidateFunction> {
  const description = loadDescription(file)
  const specId = `https://emulator.test/${file}`
  const responses = Object.fromEntries(
    paths.map((path, index) => [
      `r${index}`,
      description.paths[path].get.responses['200'].content?.['application/json'].schema,
    ]),
  )
  // strict: false lets OpenAPI's own keywords (example, ...) pass; `nullable` is native to ajv.
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema({
    $id: specId,
    components: { schemas: description.components.schemas },
    responses,
  })
  return Object.fromEntries(
    paths.map((path, index) => {
      const validate = ajv.getSchema(`${specId}#/responses/r${index}`)
      if (!validate) throw new Error(`no schema for ${path}`)
      return [path, validate]
    }),
  )
}
