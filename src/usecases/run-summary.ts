// How a finished run is summed up in words, for every surface: the CLI's closing line (`ocdw run/resume`), the
// plugin's answer to the model (workflow tool, wake-up message). One place, so the counts read the same everywhere.
import { fmtElapsed, fmtTokens } from '../machines/format.js'
import type { RunSummary } from '../machines/types.js'

/** "3/4 agents done, 1 failed, 2 from the journal": only the counts that are not zero after the first. */
export function agentCountsText(a: RunSummary['agents']): string {
  return (
    `${a.done}/${a.total} agents done` +
    `${a.failed ? `, ${a.failed} failed` : ''}${a.stopped ? `, ${a.stopped} stopped` : ''}${a.cached ? `, ${a.cached} from the journal` : ''}`
  )
}

/** The CLI's closing line (without the `ocdw: ` prefix): status, elapsed, agent counts, tokens. */
export function summaryLine(s: RunSummary): string {
  return `run ${s.runId} ${s.status} in ${fmtElapsed(s.elapsedMs)}: ${agentCountsText(s.agents)}, ${fmtTokens(s.tokens.total)} tokens`
}

/** The first line the plugin tells the model about a run: exact token count and whole seconds. */
export function outcomeLine(s: RunSummary): string {
  return `ocdw run ${s.runId}: ${s.status} — ${agentCountsText(s.agents)}; ${s.tokens.total} tokens; ${Math.round(s.elapsedMs / 1000)}s.`
}

/** A script's result as text: a string as is, anything else as indented JSON. */
export function resultText(result: unknown): string {
  return typeof result === 'string' ? result : JSON.stringify(result, null, 2) ?? 'undefined'
}
