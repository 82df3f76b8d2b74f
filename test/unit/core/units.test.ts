import { describe, expect, it } from '@jest/globals'
import { formatBytes, parseDuration, parseSize } from '../../../src/core/units.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

describe('parseDuration', () => {
  it.each([
    ['90m', 90 * MINUTE],
    ['12h', 12 * HOUR],
    ['14d', 14 * DAY],
    ['2w', 14 * DAY],
    ['14 d', 14 * DAY],
    ['P14D', 14 * DAY],
    ['PT12H', 12 * HOUR],
    ['P1W', 7 * DAY],
    ['P1DT12H', DAY + 12 * HOUR],
    ['PT90M', 90 * MINUTE],
    ['PT30S', 30_000],
    ['P1W2D', 9 * DAY],
    ['p14d', 14 * DAY],
  ])('reads %s', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds)
  })

  it.each(['P1M', 'P1Y', 'P1Y2D', 'P2MT1H'])('refuses years and months in %s', (text) => {
    expect(() => parseDuration(text)).toThrow(`'${text}' counts years or months`)
  })

  it.each(['0d', '0m', 'PT0H', 'P0D'])('refuses the zero duration %s', (text) => {
    expect(() => parseDuration(text)).toThrow(`'${text}' is zero`)
  })

  it.each(['', '0', '-5d', '14', '14x', '14D', '1.5h', 'd', 'P', 'PT', 'P1DT', 'P1H', 'fortnight'])(
    'refuses %p and names the accepted forms',
    (text) => {
      expect(() => parseDuration(text)).toThrow(
        `'${text}' is not a duration: use a whole number with a unit m, h, d or w (90m, 12h, 14d, 2w) ` +
          'or an ISO 8601 duration (P14D, PT12H, P1W, P1DT12H)',
      )
    },
  )

  it('refuses a duration too long to count in milliseconds', () => {
    expect(() => parseDuration('99999999999999w')).toThrow('too long')
  })
})

describe('parseSize', () => {
  it.each([
    ['500', 500],
    ['500B', 500],
    ['0', 0],
    ['10KB', 10 * 1024],
    ['10 kb', 10 * 1024],
    ['10KiB', 10 * 1024],
    ['50MB', 50 * 1024 ** 2],
    ['50mib', 50 * 1024 ** 2],
    ['1GB', 1024 ** 3],
    ['1 GiB', 1024 ** 3],
    ['1TB', 1024 ** 4],
    ['1.5GB', 1.5 * 1024 ** 3],
    ['1.1GB', 1181116006], // 1.1 * 2^30 = 1181116006.4, rounded down
    ['0.5KB', 512],
    ['1.5', 1],
    ['1.9B', 1],
  ])('reads %s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it.each(['', '-5MB', 'MB', '10XB', '10 K', '1,5GB', '.5GB', '1.GB', '10MB of data', 'lots'])(
    'refuses %p and names the accepted forms',
    (text) => {
      expect(() => parseSize(text)).toThrow(
        `'${text}' is not a size: use a number of bytes (500) or a number with a unit ` +
          'B, KB, MB, GB or TB (10KB, 50MB, 1.5GB; 1 KB = 1024 B)',
      )
    },
  )

  it('refuses a size beyond what a number holds exactly', () => {
    expect(() => parseSize('99999999TB')).toThrow("'99999999TB' is too large a size")
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.00 KB'],
    [1536, '1.50 KB'],
    [10 * 1024 + 100, '10.1 KB'],
    [10 * 1024 ** 2, '10.0 MB'],
    [Math.round(123.4 * 1024 ** 2), '123 MB'],
    [1023 * 1024 ** 2, '1023 MB'],
    [1024 ** 3, '1.00 GB'],
    [2.5 * 1024 ** 4, '2.50 TB'],
    [2048 * 1024 ** 4, '2048 TB'],
  ])('prints %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })

  it('prints what parseSize reads, for sizes with three significant digits', () => {
    for (const text of ['1.50 KB', '10.0 MB', '1.00 GB', '512 B']) {
      expect(formatBytes(parseSize(text))).toBe(text)
    }
  })
})
