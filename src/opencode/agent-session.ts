// What every agent session is given besides its prompt: permission rules that take the workflow tools away (an
// agent must not start workflows of its own, as in Claude Code, where sub-agents cannot spawn sub-agents), and a
// system instruction that its final message is its return value.

/** The tools of the ocdw plugin: denied to agents wherever the plugin is loaded. */
export const WORKFLOW_TOOLS = ['workflow', 'workflow_status', 'workflow_control'] as const

export interface PermissionRule {
  permission: string
  pattern: string
  action: 'allow' | 'deny' | 'ask'
}

/** The session's permission rules: the workflow tools denied; with readOnly, edits and shell too. */
export function agentSessionRules(readOnly = false): PermissionRule[] {
  const rules: PermissionRule[] = WORKFLOW_TOOLS.map((permission) => ({ permission, pattern: '*', action: 'deny' }))
  if (readOnly) rules.push({ permission: 'edit', pattern: '*', action: 'deny' }, { permission: 'bash', pattern: '*', action: 'deny' })
  return rules
}

/** The prompt's tools map: the workflow tools switched off for this turn as well (belt and braces with the rules). */
export function agentToolSwitches(): Record<string, boolean> {
  return Object.fromEntries(WORKFLOW_TOOLS.map((t) => [t, false]))
}

export const AGENT_SYSTEM_INSTRUCTION =
  'You are one agent of an ocdw workflow, run by a script rather than a person. Your final message is your return ' +
  'value: the script receives exactly its text (or the structured output, when a schema is asked for), so end with ' +
  'the complete answer itself, not a summary of what you did or a question. Nobody can answer questions while you ' +
  'work. You cannot start workflows.'
