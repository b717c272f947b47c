// Claude Code agent types in agent() options (issue 16.2): `agentType: 'Explore' | 'general-purpose' | 'Plan'` are
// Claude's built-in subagents; OpenCode's counterparts are `explore`, `general` and `plan`. Any other name is looked
// up in the server's own agent list, ignoring case (plugin- or project-defined agents). An unknown name fails the
// agent at once with the list of agents there are, before any session is created: OpenCode itself would answer a
// prompt for an unknown agent with HTTP 500, which looks transient and would be retried.

import { sanitizeLine } from '../machines/sanitize.js'

/** A name from a script, as shown in a message: one line, no terminal controls, not endless. */
const shown = (name: string) => {
  const line = sanitizeLine(name)
  return line.length > 80 ? line.slice(0, 79) + '…' : line
}

/** Claude Code's built-in agent types (lower case) and the OpenCode agent each one maps to. */
export const CLAUDE_AGENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  explore: 'explore',
  'general-purpose': 'general',
  plan: 'plan',
})

export interface ServerAgent {
  name: string
  hidden?: boolean
}

export class UnknownAgentTypeError extends Error {}

/** The OpenCode agent name for a script's agentType; throws UnknownAgentTypeError with the agents that exist. */
export function resolveAgentType(requested: string, agents: readonly ServerAgent[]): string {
  const wanted = requested.trim().toLowerCase()
  const target = CLAUDE_AGENT_TYPES[wanted] ?? wanted
  // Hidden agents (title, summary, compaction) are OpenCode's internals, not something a script can ask for.
  const usable = agents.filter((a) => !a.hidden)
  const found = usable.find((a) => a.name.toLowerCase() === target)
  if (found) return found.name
  const names = usable.map((a) => a.name).sort()
  throw new UnknownAgentTypeError(
    `The agent type "${shown(requested)}" does not exist on this OpenCode server; use one of: ${names.join(', ') || '(none)'} ` +
      `(Claude's Explore, general-purpose and Plan map to explore, general and plan).`,
  )
}
