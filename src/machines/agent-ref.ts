// Naming an agent in a control command (`ocdw stop|restart|permit --agent`, the TUI, workflow_control): by its key,
// or by its label when exactly one agent has it (or, among several, exactly one is still queued or running). Pure,
// so the CLI and the plugin (before sending) and the runtime (on receipt) give the same answers and sentences.
import type { RunView } from './run-view.js'

export type AgentRef = { key: string; error?: undefined } | { key?: undefined; error: string }

/** `listHint` ends the "no such agent" sentence: where the user finds the agents (the CLI's `ocdw show`, by default). */
export function resolveAgentRef(view: RunView, ref: string, listHint = `\`ocdw show ${view.runId}\` lists its agents`): AgentRef {
  if (view.agents.some((a) => a.key === ref)) return { key: ref }
  const byLabel = view.agents.filter((a) => a.label === ref)
  if (byLabel.length === 1) return { key: byLabel[0]!.key }
  // A label reused across a loop: the one agent still at work is the one a stop or restart means.
  const active = byLabel.filter((a) => a.status === 'running' || a.status === 'queued')
  if (active.length === 1) return { key: active[0]!.key }
  if (byLabel.length > 1) {
    const keys = byLabel.slice(0, 5).map((a) => a.key).join(', ')
    return { error: `${byLabel.length} agents of run ${view.runId} are labelled "${ref}"; name one by its key (${keys}${byLabel.length > 5 ? ', …' : ''}).` }
  }
  return { error: `Run ${view.runId} has no agent with the key or label "${ref}"; ${listHint}.` }
}

/** Why a restart of this agent would change nothing (a sentence), or undefined when it can be restarted: only a
 *  running agent can, since a settled agent's result (or null) has already been handed to the script. */
export function restartRefusal(view: RunView, key: string): string | undefined {
  const a = view.agents.find((x) => x.key === key)
  if (!a || a.status === 'running') return undefined
  const name = a.label && a.label !== key ? `"${a.label}" (${key})` : key
  if (a.status === 'queued') return `Agent ${name} has not started yet, so there is nothing to restart; it runs when a slot frees up.`
  return `Agent ${name} already ${a.status === 'done' ? 'finished' : `ended ${a.status}`} and the script has its ${a.status === 'done' ? 'result' : 'null'}, so restarting it would change nothing; only a running agent can be restarted.`
}
