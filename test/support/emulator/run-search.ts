import { ACTOR, checkSuiteId } from './representations.js'
import type { StoredRun } from './state.js'

/**
 * "This endpoint will return up to 1,000 results for each search when using the following
 * parameters: actor, branch, check_suite_id, created, event, head_sha, status" (OpenAPI
 * description of "List workflow runs for a repository", @octokit/openapi).
 */
const RUN_SEARCH_RESULT_CAP = 1000
const SEARCH_PARAMETERS = [
  'actor',
  'branch',
  'check_suite_id',
  'created',
  'event',
  'head_sha',
  'status',
]

const DAY_MS = 24 * 60 * 60 * 1000

/** Half-open [from, to) in epoch milliseconds. */
interface TimeSpan {
  from: number
  to: number
}

/**
 * The runs a listing's `actor`, `check_suite_id` and `created` parameters keep (the other
 * filters are the state's), at most RUN_SEARCH_RESULT_CAP of them when any search parameter
 * is given.
 */
export function searchRuns(runs: StoredRun[], query: URLSearchParams): StoredRun[] {
  const actor = query.get('actor')
  const checkSuite = query.get('check_suite_id')
  const created = query.get('created')
  const kept = runs
    // Every emulated run has the same actor.
    .filter(() => actor === null || actor.toLowerCase() === ACTOR.login)
    .filter((run) => checkSuite === null || String(checkSuiteId(run)) === checkSuite)
    .filter((run) => created === null || matchesDateSearch(run.createdAt, created))
  const isSearch = SEARCH_PARAMETERS.some((name) => query.has(name))
  return isSearch ? kept.slice(0, RUN_SEARCH_RESULT_CAP) : kept
}

/**
 * GitHub's search syntax for dates (docs.github.com, "Understanding the search syntax", query
 * for dates, which the `created` parameter's description points to): `2024-05-01`,
 * `>2024-05-01`, `>=`, `<`, `<=`, `2024-05-01..2024-05-31`, `2024-05-01..*`, each date
 * optionally with a time (`2024-05-01T10:00:00Z`). A bare date covers its whole day (UTC). A
 * date it cannot read throws, which the server answers as an emulator error (500).
 */
function matchesDateSearch(iso: string, search: string): boolean {
  const time = Date.parse(iso)
  const span = searchSpan(search.trim())
  return span.from <= time && time < span.to
}

function searchSpan(search: string): TimeSpan {
  const comparison = /^(>=|<=|>|<)(.+)$/.exec(search)
  if (comparison) {
    const bound = dateSpan(comparison[2])
    switch (comparison[1]) {
      case '>':
        return { from: bound.to, to: Infinity }
      case '>=':
        return { from: bound.from, to: Infinity }
      case '<':
        return { from: -Infinity, to: bound.from }
      default:
        return { from: -Infinity, to: bound.to }
    }
  }
  const range = search.split('..')
  if (range.length === 2) {
    return {
      from: range[0] === '*' ? -Infinity : dateSpan(range[0]).from,
      to: range[1] === '*' ? Infinity : dateSpan(range[1]).to,
    }
  }
  return dateSpan(search)
}

/** A bare date spans its day; a date with a time spans its second (GitHub's precision). */
function dateSpan(value: string): TimeSpan {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value)
  const from = Date.parse(dateOnly ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(from)) throw new Error(`created: cannot read the date "${value}"`)
  return { from, to: from + (dateOnly ? DAY_MS : 1000) }
}
