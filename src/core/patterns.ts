/**
 * The `name` and `exclude` settings: one pattern a line. A line is
 * - a regular expression when written `/pattern/flags`; it matches anywhere in the name unless
 *   anchored, as `RegExp.test` does;
 * - a glob when it holds `*` (any run of characters) or `?` (one character), with `[abc]`,
 *   `[a-z]` and negated `[!abc]` / `[^abc]` classes; it matches the whole name;
 * - otherwise an exact, case-sensitive name, as GitHub's own `name` filter is.
 * Artifact names cannot hold `/`, `*` or `?`, so none of these forms shadows a real name.
 */
import { SettingError, type SettingName } from './errors.js'
import type { NamePattern } from './request.js'

const REGEX_LINE = /^\/(.+)\/([a-z]*)$/i

// `g` and `d` are refused rather than ignored: they change what `exec` reports, never whether a
// name matches, so a user who writes them expects something this setting does not do.
const REGEX_FLAGS = 'imsuvy'

/** The patterns of a multi-line value; blank lines are skipped, a comma is part of a name. */
export function parsePatterns(setting: SettingName, text: string): NamePattern[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => parsePattern(setting, line))
}

/** Whether any of the patterns matches the name (false for no patterns). */
export function matchesAny(patterns: readonly NamePattern[], name: string): boolean {
  return patterns.some((pattern) => pattern.matches(name))
}

/** The name when the patterns are one exact name (the server can filter on it), else undefined. */
export function singleExactName(patterns: readonly NamePattern[]): string | undefined {
  return patterns.length === 1 && patterns[0].kind === 'exact' ? patterns[0].source : undefined
}

function parsePattern(setting: SettingName, line: string): NamePattern {
  if (line.startsWith('/')) return regexPattern(setting, line)
  if (/[*?]/.test(line)) return globPattern(setting, line)
  return { kind: 'exact', source: line, matches: (name) => name === line }
}

function regexPattern(setting: SettingName, line: string): NamePattern {
  const match = REGEX_LINE.exec(line)
  if (!match) {
    throw new SettingError(
      setting,
      () =>
        `'${line}' starts with '/' but is not a regular expression written /pattern/flags ` +
        "(artifact names cannot contain '/')",
    )
  }
  const [, body, flags] = match
  const refused = [...flags].filter((flag) => !REGEX_FLAGS.includes(flag))
  if (refused.length > 0) {
    throw new SettingError(
      setting,
      () =>
        `'${line}' has flag ${refused.join(', ')}: only ${[...REGEX_FLAGS].join(', ')} ` +
        'apply to matching a name',
    )
  }
  const regex = compile(setting, line, body, flags)
  // `search` always starts at index 0, so a sticky (`y`) regex stays stateless between names.
  return { kind: 'regex', source: line, matches: (name) => name.search(regex) !== -1 }
}

function globPattern(setting: SettingName, line: string): NamePattern {
  const regex = compile(setting, line, `^${globToRegexSource(line)}$`, 'su')
  return { kind: 'glob', source: line, matches: (name) => regex.test(name) }
}

function compile(setting: SettingName, line: string, source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new SettingError(setting, () => `'${line}' is not a valid pattern: ${reason}`)
  }
}

function globToRegexSource(glob: string): string {
  let source = ''
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]
    const classEnd = char === '[' ? findClassEnd(glob, index) : -1
    if (classEnd !== -1) {
      source += classToRegexSource(glob.slice(index + 1, classEnd))
      index = classEnd
    } else if (char === '*') {
      source += '.*'
    } else if (char === '?') {
      source += '.'
    } else {
      source += escapeRegex(char)
    }
  }
  return source
}

/** Index of the `]` closing the class opened at `start`, or -1 when `[` is a literal. */
function findClassEnd(glob: string, start: number): number {
  let index = start + 1
  if (glob[index] === '!' || glob[index] === '^') index++
  // As in shell globs, a `]` right after the opening is a member of the class, not its end.
  if (glob[index] === ']') index++
  return glob.indexOf(']', index)
}

function classToRegexSource(members: string): string {
  const negated = members.startsWith('!') || members.startsWith('^')
  const body = negated ? members.slice(1) : members
  // `-` stays unescaped so that ranges such as `a-z` keep working.
  return `[${negated ? '^' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`
}

// Only the characters that are syntax in a `u` regex: escaping any other is an error there.
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
}
