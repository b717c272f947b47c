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

/**
 * agent() refused by a run limit (the token budget is spent, the agent cap is reached): the script sees it THROWN, as
 * in Claude Code, so `try { await agent(...) } catch {}` and budget loops behave the same. Inside parallel() and
 * pipeline() the throw becomes that slot's null.
 */
export class AgentRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AgentRefusedError'
  }
}

/** Claude Code's limits that scripts can see: agents a run may start, items one parallel()/pipeline() may take. */
export const MAX_AGENTS_PER_RUN = 1000
export const MAX_FANOUT_ITEMS = 4096
