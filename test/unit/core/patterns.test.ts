import { describe, expect, it } from '@jest/globals'
import { SettingError } from '../../../src/core/errors.js'
import { matchesAny, parsePatterns, singleExactName } from '../../../src/core/patterns.js'

/** The one pattern of a one-line input. */
function pattern(line: string) {
  const patterns = parsePatterns('name', line)
  expect(patterns).toHaveLength(1)
  return patterns[0]
}

function settingError(action: () => unknown): SettingError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError)
    return error as SettingError
  }
  throw new Error('expected a SettingError, nothing was thrown')
}

describe('parsePatterns', () => {
  it('reads one pattern a line, trimmed, skipping blank lines and keeping commas', () => {
    const patterns = parsePatterns('name', '  dist  \r\n\n   \nlogs-*\r\n/^cov/i\na,b\n')
    expect(patterns.map(({ kind, source }) => [kind, source])).toEqual([
      ['exact', 'dist'],
      ['glob', 'logs-*'],
      ['regex', '/^cov/i'],
      ['exact', 'a,b'],
    ])
  })

  it('reads an empty input as no patterns', () => {
    expect(parsePatterns('exclude', '')).toEqual([])
  })
})

describe('exact names', () => {
  it('match the whole name, case-sensitively', () => {
    const dist = pattern('dist')
    expect(dist.kind).toBe('exact')
    expect(dist.matches('dist')).toBe(true)
    expect(dist.matches('Dist')).toBe(false)
    expect(dist.matches('dist-linux')).toBe(false)
    expect(dist.matches('my-dist')).toBe(false)
  })

  it('take regex specials and brackets literally', () => {
    const name = pattern('build.v1+(x)[1]$')
    expect(name.kind).toBe('exact')
    expect(name.matches('build.v1+(x)[1]$')).toBe(true)
    expect(name.matches('buildXv11(x)1')).toBe(false)
  })
})

describe('globs', () => {
  it('let * match any run of characters, including none', () => {
    const logs = pattern('logs-*')
    expect(logs.kind).toBe('glob')
    const names = ['logs-', 'logs-linux', 'logs-a.b c', 'logs', 'Logs-linux']
    expect(names.filter((name) => logs.matches(name))).toEqual([
      'logs-',
      'logs-linux',
      'logs-a.b c',
    ])
    expect(logs.matches('my-logs-linux')).toBe(false)
  })

  it('let ? match exactly one character', () => {
    const build = pattern('build-?')
    expect(build.matches('build-1')).toBe(true)
    expect(build.matches('build-é')).toBe(true)
    expect(build.matches('build-')).toBe(false)
    expect(build.matches('build-12')).toBe(false)
  })

  it('count a character outside the BMP as one for ?', () => {
    expect(pattern('icon-?').matches('icon-🚀')).toBe(true)
  })

  it('take regex specials literally', () => {
    const release = pattern('v1.2+(rc)-*')
    expect(release.matches('v1.2+(rc)-linux')).toBe(true)
    expect(release.matches('v1x22(rc)-linux')).toBe(false)
    expect(release.matches('v1.22rc-linux')).toBe(false)
    expect(pattern('a|b*').matches('b')).toBe(false)
    expect(pattern('a|b*').matches('a|b')).toBe(true)
    expect(pattern('{x}$^*').matches('{x}$^yz')).toBe(true)
  })

  it('support [...] classes with members and ranges', () => {
    const build = pattern('build-[ab1-3]-*')
    const names = ['build-a-x', 'build-b-x', 'build-2-x', 'build-c-x', 'build-4-x', 'build--x']
    expect(names.filter((name) => build.matches(name))).toEqual([
      'build-a-x',
      'build-b-x',
      'build-2-x',
    ])
  })

  it.each(['[!', '[^'])('support classes negated with %s', (opening) => {
    const notDebug = pattern(`${opening}d]*`)
    expect(notDebug.matches('release')).toBe(true)
    expect(notDebug.matches('debug')).toBe(false)
  })

  it('take a ] right after the opening as a member, and - at the edges literally', () => {
    expect(pattern('x[]a]*').matches('x]')).toBe(true)
    expect(pattern('x[]a]*').matches('xa')).toBe(true)
    expect(pattern('x[!]]*').matches('x]')).toBe(false)
    expect(pattern('x[!]]*').matches('xy')).toBe(true)
    expect(pattern('x[-z]*').matches('x-')).toBe(true)
    expect(pattern('x[a-]*').matches('x-')).toBe(true)
    expect(pattern('x[a-]*').matches('xb')).toBe(false)
  })

  it('take regex syntax inside a class literally', () => {
    const odd = pattern('[\\w^.]*')
    expect(odd.matches('^a')).toBe(true)
    expect(odd.matches('.a')).toBe(true)
    expect(odd.matches('wa')).toBe(true)
    expect(odd.matches('a')).toBe(false)
  })

  it('take an unclosed [ literally', () => {
    const open = pattern('a[b*')
    expect(open.matches('a[bc')).toBe(true)
    expect(open.matches('abc')).toBe(false)
  })

  it('refuse a class with a reversed range, naming the input and the pattern', () => {
    const error = settingError(() => parsePatterns('exclude', 'ok\nbuild-[z-a]*'))
    expect(error.setting).toBe('exclude')
    expect(error.message).toMatch(/^'build-\[z-a\]\*' is not a valid pattern: /)
  })
})

describe('brace sets', () => {
  it('make a glob of a line without * or ?, matching each member', () => {
    const platforms = pattern('dist-{linux,macos}')
    expect(platforms.kind).toBe('glob')
    const names = ['dist-linux', 'dist-macos', 'dist-windows', 'dist-', 'dist-{linux,macos}']
    expect(names.filter((name) => platforms.matches(name))).toEqual(['dist-linux', 'dist-macos'])
  })

  it('combine with *, classes and one another', () => {
    const logs = pattern('{unit,e2e}-logs-[0-9]*')
    expect(logs.matches('unit-logs-1')).toBe(true)
    expect(logs.matches('e2e-logs-42-retry')).toBe(true)
    expect(logs.matches('lint-logs-1')).toBe(false)
    expect(logs.matches('unit-logs-x')).toBe(false)
    expect(pattern('{a,b}{1,2}').matches('b1')).toBe(true)
  })

  it('expand numeric sequences', () => {
    const shards = pattern('shard-{1..3}')
    const names = ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'shard-4']
    expect(names.filter((name) => shards.matches(name))).toEqual(['shard-1', 'shard-2', 'shard-3'])
  })

  it('leave a single-member or empty brace literal, so the line stays an exact name', () => {
    expect(pattern('build-{x}').kind).toBe('exact')
    expect(pattern('build-{}').kind).toBe('exact')
  })

  it('take a leading # or ! as part of the name', () => {
    expect(pattern('#{a,b}').matches('#a')).toBe(true)
    expect(pattern('!{a,b}').matches('!b')).toBe(true)
    expect(pattern('!{a,b}').matches('c')).toBe(false)
  })
})

describe('regular expressions', () => {
  it('match anywhere in the name unless anchored', () => {
    const coverage = pattern('/cov(er)?/')
    expect(coverage.kind).toBe('regex')
    expect(coverage.matches('unit-coverage')).toBe(true)
    expect(coverage.matches('cov')).toBe(true)
    expect(coverage.matches('Coverage')).toBe(false)
    const anchored = pattern('/^build-\\d+$/')
    expect(anchored.matches('build-12')).toBe(true)
    expect(anchored.matches('build-12a')).toBe(false)
  })

  it('honour flags', () => {
    expect(pattern('/^coverage$/i').matches('COVERAGE')).toBe(true)
    expect(pattern('/^\\p{Lu}+$/u').matches('ÉTÉ')).toBe(true)
    expect(pattern('/^\\p{Lu}+$/u').matches('été')).toBe(false)
  })

  it('give the same answer on every call with the sticky flag', () => {
    const sticky = pattern('/build/y')
    expect([1, 2, 3].map(() => sticky.matches('build-linux'))).toEqual([true, true, true])
    expect(sticky.matches('my-build')).toBe(false)
  })

  it('keep a / escaped inside the expression', () => {
    expect(pattern('/a\\/b|c/').matches('c')).toBe(true)
  })

  it.each([
    ['/dist/g', "'/dist/g' has flag g: only i, m, s, u, v, y apply to matching a name"],
    ['/dist/dgi', "'/dist/dgi' has flag d, g: only i, m, s, u, v, y apply to matching a name"],
    ['/dist/I', "'/dist/I' has flag I: only i, m, s, u, v, y apply to matching a name"],
  ])('refuse flags that do not apply: %s', (line, message) => {
    const error = settingError(() => parsePatterns('name', line))
    expect(error.setting).toBe('name')
    expect(error.message).toBe(message)
  })

  it.each(['/build-(/', '/[z-a]/', '/a/ii', '/\\p{L}/uv'])(
    'refuse the invalid expression %s, naming the input and the pattern',
    (line) => {
      const error = settingError(() => parsePatterns('exclude', line))
      expect(error.setting).toBe('exclude')
      expect(error.message.startsWith(`'${line}' is not a valid pattern: `)).toBe(true)
    },
  )

  it.each(['/dist', '//', '/dist/x-y'])(
    'refuse %s, which starts with / but is not /pattern/flags',
    (line) => {
      const error = settingError(() => parsePatterns('name', line))
      expect(error.message).toBe(
        `'${line}' starts with '/' but is not a regular expression written ` +
          "/pattern/flags (artifact names cannot contain '/')",
      )
    },
  )
})

describe('matchesAny', () => {
  const patterns = parsePatterns('name', 'dist\nlogs-*\n/^cov/')

  it('is true when one of the patterns matches', () => {
    const names = ['dist', 'logs-1', 'coverage', 'dist-2', 'other']
    expect(names.filter((name) => matchesAny(patterns, name))).toEqual([
      'dist',
      'logs-1',
      'coverage',
    ])
  })

  it('is false for no patterns', () => {
    expect(matchesAny([], 'dist')).toBe(false)
  })
})

describe('singleExactName', () => {
  it.each([
    ['dist', 'dist'],
    ['  dist  \n\n', 'dist'],
    ['dist\nlogs', undefined],
    ['dist-*', undefined],
    ['/^dist$/', undefined],
    ['', undefined],
  ])('of %p is %p', (text, name) => {
    expect(singleExactName(parsePatterns('name', text))).toBe(name)
  })
})
