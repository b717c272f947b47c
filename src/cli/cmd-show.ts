// `ocdw show <runId> [--json]`: one run's phases, agents, tokens and result (live over the control channel, else disk).
import type { Command } from 'commander'
import { lastWriteAt, loadRunView } from '../actors/run-reader.js'
import { runFacts } from '../machines/run-facts.js'
import { agentTotals } from '../machines/run-view.js'
import { totalTokens } from '../machines/tokens.js'
import { findRun } from '../store/runs.js'
import { fmtElapsed, fmtTokens } from '../machines/format.js'
import { phaseLine } from './progress.js'
import { resultMarkdown } from '../store/result-markdown.js'
import { sanitizeForTerminal } from '../machines/sanitize.js'

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('one run: phases, agents, tokens, result')
    .argument('<runId>')
    .option('--json', 'as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const { dir } = findRun(process.cwd(), runId)
      const { view, run, live } = await loadRunView(dir)
      const facts = runFacts(run, view, { live, now: Date.now(), lastWriteAt: lastWriteAt(dir) })
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ...view, live, runDir: dir, totals: agentTotals(view), options: run.options, facts }, null, 2) + '\n')
        return
      }
      const out: string[] = []
      out.push(`${view.runId}  ${view.name}  ${facts.status}${live ? ' (live)' : ''}  ${fmtTokens(facts.tokens)} tokens  ${fmtElapsed(facts.elapsedMs)}`)
      if (view.error) out.push(`error: ${view.error}`)
      out.push('')
      for (const p of view.phases) out.push(phaseLine(view, p.title, Date.now()))
      out.push('')
      for (const a of view.agents) {
        out.push(`  ${a.key}  ${a.status.padEnd(8)} ${a.label.slice(0, 40).padEnd(40)} ${fmtTokens(totalTokens(a.tokens))} tok${a.cached ? ' (journal)' : ''}${a.error ? `  ${a.error}` : ''}`)
      }
      // The result as the report renders it (Markdown); names, labels, errors and the result come from the script and
      // the agents: no terminal control reaches the tty.
      if (view.result !== undefined) out.push('', 'result:', '', resultMarkdown(view.result), '', `(raw JSON: ocdw show ${view.runId} --json, or result.json in ${dir})`)
      process.stdout.write(sanitizeForTerminal(out.join('\n')) + '\n')
    })
}
