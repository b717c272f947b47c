// What the workflow tools tell the model about a run: its status and counts, every failed agent with its reason,
// diagnostics (stalls, refused permissions, warnings, the run's own error), and the result; and, for
// workflow_control's `result`, each agent's own output, so the model never has to read run files.
import type { AgentView, RunView } from '../machines/run-view.js'
import type { RunSummary } from '../machines/types.js'
import { readAgentStore } from '../store/agent-store.js'
import { outcomeLine, resultText } from '../usecases/run-summary.js'

const MAX_LISTED = 30
const MAX_RESULT_CHARS = 20_000

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters in the run directory)` : text
}

const show = resultText

/** Failed agents, each with its reason, at most MAX_LISTED lines plus a count of the rest. */
export function failureLines(agents: AgentView[]): string[] {
  const failed = agents.filter((a) => a.status === 'failed')
  if (!failed.length) return []
  const lines = failed.slice(0, MAX_LISTED).map((a) => `- ${a.label} (${a.key}): ${a.error ?? 'failed without a reason reported'}`)
  if (failed.length > MAX_LISTED) lines.push(`- … and ${failed.length - MAX_LISTED} more failed agents (workflow_control action "result" lists them all)`)
  return [`Failed agents (${failed.length}):`, ...lines]
}

/** Stalled agents, agents still waiting on a permission, and the run's warnings and errors. */
export function diagnosticLines(view: RunView | undefined): string[] {
  if (!view) return []
  const out: string[] = []
  for (const a of view.agents) {
    if (a.stalled) out.push(`- ${a.label} (${a.key}) stalled: no event from its session for a long time.`)
    if (a.permission && a.status === 'running') out.push(`- ${a.label} (${a.key}) waits for a permission: ${a.permission.permission} ${a.permission.patterns.join(', ')}.`)
  }
  for (const l of view.log) if (l.level === 'warn' || l.level === 'error') out.push(`- ${l.level}: ${l.message}`)
  return out.length ? ['Diagnostics:', ...out.slice(0, MAX_LISTED)] : []
}

export function describeOutcome(s: RunSummary, view?: RunView, notes: string[] = []): string {
  const lines = [outcomeLine(s), ...notes]
  if (s.error) lines.push(`Error: ${s.error}`)
  lines.push(...failureLines(view?.agents ?? []), ...diagnosticLines(view))
  if (s.status !== 'completed') lines.push(`Resume it with the workflow tool (resumeFromRunId: "${s.runId}") or \`ocdw resume ${s.runId}\`.`)
  lines.push('Result:', clip(show(s.result), MAX_RESULT_CHARS))
  lines.push(`Report: ${s.runDir}/report.md`)
  return lines.join('\n')
}

/** Each agent's output (or its error), in queue order: workflow_control's `result`. */
export function agentResults(runDir: string, view: RunView): string {
  const budget = { left: MAX_RESULT_CHARS * 2 }
  const lines = [`ocdw run ${view.runId} (${view.name}): ${view.status}; ${view.agents.length} agents.`]
  const records = readAgentStore(runDir)
  try {
    for (const a of view.agents) {
      const record = records.get(a.key)
      const head = `## ${a.label} (${a.key}) — ${a.status}`
      let body: string
      if (a.status === 'failed') body = `error: ${a.error ?? record?.error ?? 'no reason reported'}`
      else if (record && record.result !== undefined && record.result !== null) body = show(record.result)
      else body = a.preview ?? '(no output yet)'
      body = clip(body, Math.max(200, Math.min(4000, budget.left)))
      budget.left -= body.length
      lines.push(head, body)
    }
  } finally {
    // A record that cannot be read must not leave the store's file open in OpenCode's long-lived process.
    records.close()
  }
  if (view.result !== undefined) lines.push('## run result', clip(show(view.result), MAX_RESULT_CHARS))
  return lines.join('\n')
}
