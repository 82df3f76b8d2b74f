export const DOCS = 'https://docs.github.com/rest'

/** What the API answers to one request. */
export interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export function notFound(): Answer {
  return errorAnswer(404, 'Not Found')
}

export function errorAnswer(status: number, message: string, documentationUrl = DOCS): Answer {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } }
}
