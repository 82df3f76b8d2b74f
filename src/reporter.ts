/**
 * How the core (selection, download, deletion) talks to whoever runs it. The action wires it to
 * `@actions/core`; a terminal front end can wire it to the console without touching the core.
 */
export interface Reporter {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Keep a value (token, signed URL) out of every later log line. */
  mask(secret: string): void
}

/** A reporter that drops everything: for tests and tools that only want return values. */
export const silentReporter: Reporter = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  mask: () => undefined,
}
