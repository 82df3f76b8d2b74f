/**
 * The `name` and `exclude` settings: one pattern a line. A line is
 * - a regular expression when written `/pattern/flags`; it matches anywhere in the name unless
 *   anchored, as `RegExp.test` does;
 * - a glob when it holds `*` (any run of characters), `?` (one character) or a brace set
 *   (`{linux,macos}`, `{1..3}`), with `[abc]`, `[a-z]` and negated `[!abc]` / `[^abc]` classes;
 *   it matches the whole name;
 * - otherwise an exact, case-sensitive name, as GitHub's own `name` filter is.
 * Artifact names cannot hold `/`, `*` or `?`, so only a name with a brace set in it (`a{b,c}`) is
 * read as something else; a regular expression matches it.
 */
import { braceExpand, Minimatch, type MinimatchOptions } from 'minimatch'
import { errorText, SettingError, type SettingName } from './errors.js'
import type { NamePattern } from './request.js'

/**
 * Globs as actions/download-artifact's `pattern` reads them (minimatch), for one name rather
 * than a path: a leading `#` or `!` and a leading `.` are plain characters (`exclude` is the
 * negation), `+(...)` and the other extended globs are not syntax, since names hold parentheses,
 * and `\\` escapes the same on every runner's platform.
 */
const GLOB_OPTIONS: MinimatchOptions = {
  nocomment: true,
  nonegate: true,
  dot: true,
  noext: true,
  platform: 'linux',
}

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
  if (/[*?]/.test(line) || hasBraceSet(line)) return globPattern(setting, line)
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
  const backward = backwardRange(line)
  if (backward !== undefined) {
    throw new SettingError(
      setting,
      () => `'${line}' is not a valid pattern: the range ${backward} runs backwards`,
    )
  }
  const glob = new Minimatch(line, GLOB_OPTIONS)
  return { kind: 'glob', source: line, matches: (name) => glob.match(name) }
}

/** A brace set with more than one member (`{a,b}`, `{1..3}`), which makes a line a glob. */
function hasBraceSet(line: string): boolean {
  return braceExpand(line, GLOB_OPTIONS).length > 1
}

/**
 * A range written backwards in a `[...]` class (`[z-a]`). minimatch drops it silently, as a
 * shell does, leaving a class that may match nothing: almost certainly a typo, so it is refused.
 */
function backwardRange(glob: string): string | undefined {
  for (const [, members] of glob.matchAll(/\[[!^]?(\]?(?:\\.|[^\]\\])*)\]/gsu)) {
    for (const [range, from, to] of members.matchAll(/\\?(.)-\\?(.)/gsu)) {
      if ((from.codePointAt(0) ?? 0) > (to.codePointAt(0) ?? 0)) return range
    }
  }
  return undefined
}

function compile(setting: SettingName, line: string, source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags)
  } catch (error) {
    const reason = errorText(error)
    throw new SettingError(setting, () => `'${line}' is not a valid pattern: ${reason}`)
  }
}
