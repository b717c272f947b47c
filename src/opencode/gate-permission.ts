// gate() and OpenCode's `bash` permission (issue 12.4d): OpenCode's session.shell, which runs a gate, does not apply
// the permission rules, so ocdw applies them itself before running the command. The rules are read from the
// server's own config (client.config.get: project and global files merged, the `build` agent's rules on top, the
// agent gates run as) and evaluated the way OpenCode evaluates them: a string is the action for every command; an
// object maps wildcard patterns to actions and the last pattern that matches wins. A command made of several
// (a && b; c | d) gets the strictest action of its parts.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'

export type PermissionAction = 'allow' | 'ask' | 'deny'
type RuleConfig = PermissionAction | Record<string, PermissionAction> | undefined

const STRICTNESS: Record<PermissionAction, number> = { allow: 0, ask: 1, deny: 2 }

/** `*` matches any run of characters, `?` one; the whole command must match (as OpenCode's wildcard rules do). */
export function wildcardMatch(text: string, pattern: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')
  return new RegExp(`^${re}$`).test(text)
}

function actionOf(rule: RuleConfig, command: string): PermissionAction | undefined {
  if (rule === 'allow' || rule === 'ask' || rule === 'deny') return rule
  if (!rule || typeof rule !== 'object') return undefined
  let found: PermissionAction | undefined
  for (const [pattern, action] of Object.entries(rule)) if (wildcardMatch(command, pattern)) found = action
  return found
}

/** The simple commands of a shell line, roughly: split on ;, &&, ||, | and newlines (for the strictest-part rule). */
export function commandParts(command: string): string[] {
  return command.split(/\|\||&&|[;|\n]/).map((p) => p.trim()).filter(Boolean)
}

/** What `bash` rules (global, then the agent's, later ones overriding) say for `command`; allow when nothing matches. */
export function bashAction(rules: RuleConfig[], command: string): PermissionAction {
  let strictest: PermissionAction = 'allow'
  for (const part of [command.trim(), ...commandParts(command)]) {
    let action: PermissionAction | undefined
    for (const r of rules) action = actionOf(r, part) ?? action
    if (action && STRICTNESS[action] > STRICTNESS[strictest]) strictest = action
  }
  return strictest
}

function bashRule(permission: unknown): RuleConfig {
  if (permission === 'allow' || permission === 'ask' || permission === 'deny') return permission
  if (permission && typeof permission === 'object') return (permission as Record<string, RuleConfig>).bash
  return undefined
}

/** Reads the server's config and says whether a gate may run `command`; a config that cannot be read denies. */
export async function gateAction(client: OpencodeClient, directory: string, command: string, agent = 'build'): Promise<{ action: PermissionAction; why?: string }> {
  const res = await client.config.get({ directory } as never)
  if ((res as { error?: unknown }).error || !res.data) {
    return { action: 'deny', why: 'OpenCode did not return its permission config' }
  }
  const config = res.data as { permission?: unknown; agent?: Record<string, { permission?: unknown } | undefined> }
  const rules = [bashRule(config.permission), bashRule(config.agent?.[agent]?.permission)]
  return { action: bashAction(rules, command) }
}

/** The gate's answer when the permission config does not let it run. */
export function refusedGate(command: string, action: PermissionAction | 'reject', why?: string): { ok: false; exitCode: -1; output: string } {
  const shown = command.length > 200 ? `${command.slice(0, 200)}…` : command
  const output =
    action === 'reject'
      ? `The gate \`${shown}\` did not run: the user rejected the permission to run it; allow it under "permission": { "bash": ... } in opencode.json or answer once/always to let it run.`
      : action === 'deny'
      ? why
        ? `The gate \`${shown}\` did not run: ${why}, so ocdw treats bash as denied; check the OpenCode server and try again.`
        : `The gate \`${shown}\` did not run: OpenCode's permission config denies bash for it; allow it under "permission": { "bash": ... } in opencode.json to run it.`
      : `The gate \`${shown}\` did not run: OpenCode's permission config says to ask before bash runs it, and this run has no way to ask the user; allow this command under "permission": { "bash": ... } in opencode.json, or run the check inside an agent.`
  return { ok: false, exitCode: -1, output }
}
