import type { IncomingMessage } from 'node:http'
import { RateLimiter } from './rate-limits.js'
import type { HostedRepository } from './repositories.js'
import type { RateLimitOptions, TokenOptions } from './types.js'

const DEFAULT_TOKEN_LABEL = 'default'

/** What a token may do; its limits are its own, whichever repositories it touches. */
export interface TokenGrant {
  label: string
  limiter: RateLimiter
  /** Lower-cased 'owner/name' of the repositories it was granted; undefined: all. */
  repositories?: Set<string>
}

/** The tokens the API accepts, found by their secret. */
export class Tokens {
  private readonly bySecret = new Map<string, TokenGrant>()
  readonly defaultGrant: TokenGrant

  constructor(
    defaultToken: string,
    defaultLimits: RateLimitOptions | undefined,
    more: TokenOptions[] = [],
  ) {
    this.defaultGrant = this.add({
      token: defaultToken,
      label: DEFAULT_TOKEN_LABEL,
      rateLimits: defaultLimits,
    })
    for (const options of more) this.add(options)
  }

  /** The grant of the token in the Authorization header ('token X' or 'Bearer X'), if known. */
  identify(request: IncomingMessage): TokenGrant | undefined {
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    return match ? this.bySecret.get(match[1]) : undefined
  }

  /** Throws for a label no token has, so a misspelt one in a test fails loudly. */
  labelled(label: string): TokenGrant {
    const grant = [...this.bySecret.values()].find((candidate) => candidate.label === label)
    if (!grant) throw new Error(`no token is labelled ${label}`)
    return grant
  }

  private add(options: TokenOptions): TokenGrant {
    if (this.bySecret.has(options.token)) throw new Error(`token ${options.label} is given twice`)
    const grant = {
      label: options.label,
      limiter: new RateLimiter(options.rateLimits),
      repositories:
        options.repositories && new Set(options.repositories.map((name) => name.toLowerCase())),
    }
    this.bySecret.set(options.token, grant)
    return grant
  }
}

/** Granted the repository, or granted every one. */
export function isGranted(grant: TokenGrant, repository: HostedRepository): boolean {
  return grant.repositories?.has(repository.fullName.toLowerCase()) ?? true
}

/**
 * A public repository is visible to every token; a private one only to tokens granted it
 * (GitHub answers 404 for the others, not 403, so as not to reveal that it exists).
 */
export function canSee(grant: TokenGrant, repository: HostedRepository): boolean {
  return !repository.private || isGranted(grant, repository)
}
