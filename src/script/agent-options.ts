// The options a script may pass to agent(), checked where they cross into the host against AgentOptionsSchema
// (src/machines/schemas.ts): a sentence listing the valid options when one is wrong, and the keys ocdw does not know (ignored, with a
// warning, so scripts written for Claude Code still run).
import type { AgentOptions } from '../machines/types.js'
import { AgentOptionsSchema } from '../machines/schemas.js'
import { nestsDeeperThan } from './limits.js'
import { tooDeepText } from './limit-messages.js'

const KNOWN_OPTIONS = new Set(Object.keys(AgentOptionsSchema.shape))

export type CheckedAgentOptions = { opts: AgentOptions; unknownKeys: string[]; error?: undefined } | { error: string }

/** Checks agent()'s options as the script passed them (parsed JSON): the options, or the sentence refusing them. */
export function checkAgentOptions(raw: Record<string, unknown>): CheckedAgentOptions {
  if (nestsDeeperThan(raw)) return { error: tooDeepText('agent() options') }
  const checked = AgentOptionsSchema.safeParse(raw)
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.') || 'opts'}: ${i.message}`).join('; ')
    return { error: `agent() got invalid options (${problems}). Valid options: label, phase, schema (a JSON Schema object), model, effort, agentType, isolation: 'worktree', timeoutMs.` }
  }
  return { opts: checked.data as AgentOptions, unknownKeys: Object.keys(raw).filter((k) => !KNOWN_OPTIONS.has(k)) }
}

/** The warning for an option ocdw ignores. */
export function unsupportedOptionText(key: string): string {
  return `agent() option "${key}" is not supported by ocdw and was ignored.`
}
