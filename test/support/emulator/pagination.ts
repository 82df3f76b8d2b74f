const DEFAULT_PER_PAGE = 30
const MAX_PER_PAGE = 100

export interface Page<T> {
  items: T[]
  /** The `Link` header, absent when everything fits on one page. */
  link?: string
}

/**
 * One page of `items` as GitHub cuts it (`per_page` default 30, at most 100; `page` from 1),
 * with a Link header whose URLs keep the request's other query parameters.
 */
export function paginate<T>(items: T[], url: URL, origin: string): Page<T> {
  const perPage = Math.min(
    positiveInteger(url.searchParams.get('per_page')) ?? DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
  )
  const page = positiveInteger(url.searchParams.get('page')) ?? 1
  const start = (page - 1) * perPage
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  return {
    items: items.slice(start, start + perPage),
    link: linkHeader(url, origin, page, lastPage),
  }
}

function positiveInteger(value: string | null): number | undefined {
  const number = Number(value)
  return value !== null && Number.isInteger(number) && number > 0 ? number : undefined
}

/** GitHub's order: prev, next, last, first. */
function linkHeader(url: URL, origin: string, page: number, lastPage: number): string | undefined {
  const links: string[] = []
  const add = (target: number, rel: string) =>
    links.push(`<${pageUrl(url, origin, target)}>; rel="${rel}"`)
  if (page > 1) add(Math.min(page - 1, lastPage), 'prev')
  if (page < lastPage) {
    add(page + 1, 'next')
    add(lastPage, 'last')
  }
  if (page > 1) add(1, 'first')
  return links.length > 0 ? links.join(', ') : undefined
}

function pageUrl(url: URL, origin: string, page: number): string {
  const query = new URLSearchParams(url.searchParams)
  query.delete('page')
  query.append('page', String(page))
  return `${origin}${url.pathname}?${query}`
}
