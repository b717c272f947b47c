// The error type for a script the user (or the planner) must fix: bad meta, syntax errors, refused statements.
// It carries the CLI exit code 2 (a usage/input error) and the 1-based line/column of the problem in the script.

export class ScriptError extends Error {
  readonly exitCode = 2
  line?: number
  column?: number

  /** `message` is a full sentence; a location is put in front of it as "At line L, column C: ". */
  constructor(message: string, loc?: { line: number; column: number }) {
    super(loc ? `At line ${loc.line}, column ${loc.column}: ${message}` : message)
    this.name = 'ScriptError'
    if (loc) {
      this.line = loc.line
      this.column = loc.column
    }
  }
}
