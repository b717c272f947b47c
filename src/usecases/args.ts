// A workflow's input (`args`) given as text on a command line (`ocdw run/validate --args`, `ocdw schedule add
// --args`; the scheduled cron line passes it back as JSON): JSON when it parses, else the text itself. The plugin's
// workflow tool needs no parsing: its `args` arrives as a JSON value already.

/** Text that looks like JSON but does not parse: exit 2 (bad usage) like the CLI's other input errors. */
export class ArgsError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'ArgsError'
  }
}

/** `--args`: JSON if it parses, else the text. */
export function parseArgs(value: string | undefined): unknown {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^[[{"]/.test(trimmed) || /^(-?\d|true$|false$|null$)/.test(trimmed)) {
    try {
      return JSON.parse(trimmed)
    } catch (err) {
      // Looks like JSON but is not: almost always a quoting mistake, so say so rather than pass broken text on.
      if (/^[[{]/.test(trimmed)) {
        throw new ArgsError(`--args looks like JSON but does not parse (${(err as Error).message}); fix the JSON or quote it as plain text.`)
      }
    }
  }
  return value
}
