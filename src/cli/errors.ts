// Exit codes of the CLI contract (README "Usage"), the errors that carry them, and where a command leaves its code
// for main.ts (here, not in main.ts, so the cmd-* files do not import main.ts, which imports them).
import type { Command } from 'commander'

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

/** Commands set their exit code here (commander's action handlers cannot return one); main.ts reads it back. */
export function setExitCode(cmd: Command, code: number): void {
  let root: Command = cmd
  while (root.parent) root = root.parent
  ;(root as unknown as { ocdwExitCode?: number }).ocdwExitCode = code
}

/** The exit code a command set on the program, if any. */
export function exitCodeSet(program: Command): number | undefined {
  return (program as unknown as { ocdwExitCode?: number }).ocdwExitCode
}
