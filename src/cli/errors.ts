// Exit codes of the CLI contract (README "Usage") and the errors that carry them.
export const EXIT = { completed: 0, failed: 1, usage: 2, stopped: 3 } as const

/** Bad usage or bad input: the message says what was wrong and what to do; exit 2; nothing written. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The exit code an error should end the CLI with: errors that carry one (ScriptError, RunLockedError...) keep it. */
export function exitCodeOf(err: unknown): number {
  const code = (err as { exitCode?: unknown })?.exitCode
  return typeof code === 'number' ? code : EXIT.failed
}
