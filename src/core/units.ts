/** Durations and sizes as users write them in inputs, and sizes as summaries print them. */

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
const WEEK_MS = 7 * DAY_MS

const SHORT_DURATION = /^(\d+)\s*([mhdw])$/
const SHORT_DURATION_UNITS: Record<string, number> = {
  m: MINUTE_MS,
  h: HOUR_MS,
  d: DAY_MS,
  w: WEEK_MS,
}

// Years and months are matched too, only to refuse them with a message of their own.
const ISO_DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i

const DURATION_FORMS =
  'a whole number with a unit m, h, d or w (90m, 12h, 14d, 2w) ' +
  'or an ISO 8601 duration (P14D, PT12H, P1W, P1DT12H)'

/** Milliseconds in a duration such as `14d` or `P14D`; throws on anything else. */
export function parseDuration(text: string): number {
  const milliseconds = shortDurationMs(text) ?? isoDurationMs(text)
  if (milliseconds === undefined) {
    throw new Error(`'${text}' is not a duration: use ${DURATION_FORMS}`)
  }
  if (milliseconds === 0) throw new Error(`'${text}' is zero: give a duration longer than that`)
  if (!Number.isSafeInteger(milliseconds)) throw new Error(`'${text}' is too long a duration`)
  return milliseconds
}

function shortDurationMs(text: string): number | undefined {
  const match = SHORT_DURATION.exec(text)
  if (!match) return undefined
  return Number(match[1]) * SHORT_DURATION_UNITS[match[2]]
}

function isoDurationMs(text: string): number | undefined {
  const match = ISO_DURATION.exec(text)
  // `P` and `PT` alone, or a `T` with no time after it, fit the pattern but are not durations.
  if (!match || match.slice(1).every((part) => part === undefined) || /T$/i.test(text)) {
    return undefined
  }
  const [, years, months, weeks, days, hours, minutes, seconds] = match
  if (years !== undefined || months !== undefined) {
    throw new Error(
      `'${text}' counts years or months, which have no fixed length: give days or weeks (P30D, P4W)`,
    )
  }
  const count = (part: string | undefined) => Number(part ?? 0)
  return (
    count(weeks) * WEEK_MS +
    count(days) * DAY_MS +
    count(hours) * HOUR_MS +
    count(minutes) * MINUTE_MS +
    count(seconds) * 1000
  )
}

const SIZE = /^(\d+)(?:\.(\d+))?\s*([a-z]*)$/i
const KB = 1024
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: KB,
  kib: KB,
  mb: KB ** 2,
  mib: KB ** 2,
  gb: KB ** 3,
  gib: KB ** 3,
  tb: KB ** 4,
  tib: KB ** 4,
}

/** Bytes in a size such as `500`, `10KB` or `1.5GB` (1 KB = 1024 B), rounded down. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text)
  const unitBytes = match ? SIZE_UNITS[match[3].toLowerCase()] : undefined
  if (!match || unitBytes === undefined) {
    throw new Error(
      `'${text}' is not a size: use a number of bytes (500) or a number with a unit ` +
        'B, KB, MB, GB or TB (10KB, 50MB, 1.5GB; 1 KB = 1024 B)',
    )
  }
  // Integer arithmetic, so that `1.1GB` is exactly 1181116006 and not off by a rounding error.
  const [, whole, fraction = ''] = match
  const bytes = (BigInt(whole + fraction) * BigInt(unitBytes)) / 10n ** BigInt(fraction.length)
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`'${text}' is too large a size`)
  return Number(bytes)
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

/**
 * A byte count for people: whole bytes below 1 KB (`512 B`), otherwise three significant digits
 * in the largest unit that keeps the number at 1 or more (`1.50 KB`, `10.0 MB`, `1.00 GB`).
 */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= KB && unit < BYTE_UNITS.length - 1) {
    value /= KB
    unit++
  }
  if (unit === 0) return `${bytes} B`
  // toPrecision would switch to exponent notation from 1000 on (1000 to 1023.x of a unit).
  const digits = value >= 100 ? value.toFixed(0) : value.toPrecision(3)
  return `${digits} ${BYTE_UNITS[unit]}`
}
