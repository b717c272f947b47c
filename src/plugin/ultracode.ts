// Ultracode: a per-session mode in which the model is told to plan an ocdw workflow for each substantive task.
// Turned on by `/ultracode` or the word "ultracode" in a message; off with "ultracode off".
import { ULTRACODE_KEYWORD } from './commands.js'

export const ULTRACODE_INSTRUCTION = `ocdw ultracode mode is ON for this session.
For each substantive task the user gives, plan it as one or more ocdw workflows and run them with the \`workflow\` tool
(for example: one workflow to understand the code, one to change it, one to verify). Proportionality: a small task
(a one-line fix, a question you can answer directly) stays small — just do it without a workflow. Prefer few, well-
specified agents; use schemas where later steps use the answers; respect the run's token budget. The user can say
"ultracode off" to leave this mode.`

export class UltracodeSessions {
  private readonly on = new Set<string>()

  /** Reads a user message; returns the new state when the message switched the mode, else undefined. */
  observe(sessionID: string, text: string): boolean | undefined {
    const lower = text.toLowerCase()
    if (new RegExp(`\\b${ULTRACODE_KEYWORD}\\s+off\\b`).test(lower)) {
      this.on.delete(sessionID)
      return false
    }
    if (new RegExp(`\\b${ULTRACODE_KEYWORD}\\b`).test(lower)) {
      this.on.add(sessionID)
      return true
    }
    return undefined
  }

  isOn(sessionID: string | undefined): boolean {
    return sessionID !== undefined && this.on.has(sessionID)
  }
}
