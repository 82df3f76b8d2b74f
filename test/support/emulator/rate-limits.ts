import type { RateLimitOptions } from './types.js'

const DEFAULT_LIMIT = 5000
const DEFAULT_RESET_SECONDS = 3600
const WRITE_COST = 5
const READ_COST = 1

export type RateVerdict =
  | { kind: 'allowed' }
  | { kind: 'primary-exceeded' }
  | { kind: 'secondary-exceeded'; retryAfterSeconds: number }

interface PrimaryWindow {
  limit: number
  remaining: number
  /** Epoch milliseconds. */
  resetAt: number
  windowSeconds: number
}

interface SecondaryBudget {
  pointsPerWindow: number
  windowMs: number
  spent: { at: number; points: number }[]
  blockSeconds?: number
  /** Epoch milliseconds; 0 when not blocked. */
  blockedUntil: number
}

/** GitHub's primary (requests per hour) and secondary (points per window) REST limits. */
export class RateLimiter {
  private primary: PrimaryWindow
  private secondary: SecondaryBudget | undefined

  constructor(options: RateLimitOptions = {}) {
    this.primary = primaryWindow(options.primary)
    this.secondary = secondaryBudget(options.secondary)
  }

  /** Replaces the parts given; a part left out keeps its settings and counters. */
  configure(options: RateLimitOptions): void {
    if ('primary' in options) this.primary = primaryWindow(options.primary)
    if ('secondary' in options) this.secondary = secondaryBudget(options.secondary)
  }

  /** Admits or refuses one request, counting it against the limits when it reaches them. */
  admit(method: string): RateVerdict {
    const now = Date.now()
    this.renewPrimary(now)
    if (this.primary.remaining <= 0) return { kind: 'primary-exceeded' }
    this.primary.remaining -= 1
    const cost = method === 'GET' || method === 'HEAD' ? READ_COST : WRITE_COST
    const wait = this.secondaryBlock(now) || this.secondaryWait(now, cost)
    if (wait > 0)
      return { kind: 'secondary-exceeded', retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) }
    this.secondary?.spent.push({ at: now, points: cost })
    return { kind: 'allowed' }
  }

  /** The x-ratelimit-* headers GitHub sends on every API answer. */
  headers(): Record<string, string> {
    const { limit, remaining, resetAt } = this.primary
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(limit - remaining),
      // Rounded up so a client waiting until this second finds the window renewed.
      'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    }
  }

  private renewPrimary(now: number): void {
    if (now < this.primary.resetAt) return
    this.primary.remaining = this.primary.limit
    this.primary.resetAt = now + this.primary.windowSeconds * 1000
  }

  /** Milliseconds left of a block imposed by an earlier refusal; 0 when there is none. */
  private secondaryBlock(now: number): number {
    return Math.max(0, (this.secondary?.blockedUntil ?? 0) - now)
  }

  /**
   * Milliseconds until the window has room for `cost` more points; 0 when it has now. With
   * blockSeconds, an excess blocks every request for that long instead: GitHub warns that a
   * client which keeps sending while limited can be blocked for longer (docs.github.com,
   * "Rate limits for the REST API", secondary rate limits).
   */
  private secondaryWait(now: number, cost: number): number {
    const budget = this.secondary
    if (!budget) return 0
    budget.spent = budget.spent.filter((entry) => entry.at + budget.windowMs > now)
    let inWindow = budget.spent.reduce((sum, entry) => sum + entry.points, 0)
    if (inWindow + cost <= budget.pointsPerWindow) return 0
    if (budget.blockSeconds) {
      budget.blockedUntil = now + budget.blockSeconds * 1000
      return budget.blockSeconds * 1000
    }
    for (const entry of budget.spent) {
      inWindow -= entry.points
      if (inWindow + cost <= budget.pointsPerWindow) return entry.at + budget.windowMs - now
    }
    // A single request costing more than the whole budget never fits.
    return budget.windowMs
  }
}

function primaryWindow(options: RateLimitOptions['primary'] = {}): PrimaryWindow {
  const limit = options.limit ?? DEFAULT_LIMIT
  const windowSeconds = options.resetInSeconds ?? DEFAULT_RESET_SECONDS
  return {
    limit,
    remaining: options.remaining ?? limit,
    resetAt: Date.now() + windowSeconds * 1000,
    windowSeconds,
  }
}

function secondaryBudget(options: RateLimitOptions['secondary']): SecondaryBudget | undefined {
  return options && { ...options, spent: [], blockedUntil: 0 }
}
