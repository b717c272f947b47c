// result.json and report.md: what a run returned (raw JSON), and a human report (phases, agents, tokens, failures,
// and the result rendered as Markdown by result-markdown.ts).
import type { RunView } from '../machines/run-view.js'
import { runElapsedMs } from '../machines/run-facts.js'
import { totalTokens } from '../machines/tokens.js'
import { writeFileAtomic } from './atomic.js'
import { resultMarkdown } from './result-markdown.js'
import { runPaths } from './run-dir.js'
import type { RunFile } from './run-file.js'

export function writeResult(runDir: string, result: unknown): void {
  writeFileAtomic(runPaths(runDir).result, JSON.stringify(result ?? null, null, 2) + '\n')
}

export function writeReport(runDir: string, markdown: string): void {
  writeFileAtomic(runPaths(runDir).report, markdown)
}

const fmt = (n: number) => n.toLocaleString('en-US')

export function renderReport(view: RunView, run: RunFile): string {
  const lines: string[] = []
  lines.push(`# ${run.name} (${run.id})`, '')
  if (run.description) lines.push(run.description, '')
  const elapsed = run.endedAt ? (runElapsedMs(run, run.endedAt) / 1000).toFixed(1) + ' s' : 'still running'
  const t = view.tokens
  lines.push(`- status: **${run.status}**${run.error ? ` — ${run.error}` : ''}`)
  lines.push(`- elapsed: ${elapsed}`)
  lines.push(`- agents: ${view.agents.length} (${['done', 'failed', 'stopped', 'skipped'].map((s) => `${view.agents.filter((a) => a.status === s).length} ${s}`).join(', ')}; ${view.agents.filter((a) => a.cached).length} from the journal)`)
  lines.push(`- tokens: ${fmt(t.input)} in, ${fmt(t.output)} out, ${fmt(t.reasoning)} reasoning; cost ${view.cost.toFixed(4)}`, '')
  if (view.phases.length) {
    lines.push('## Phases', '', '| phase | done | failed | stopped | tokens |', '|---|---|---|---|---|')
    for (const p of view.phases) {
      lines.push(`| ${p.title} | ${p.counts.done} | ${p.counts.failed} | ${p.counts.stopped + p.counts.skipped} | ${fmt(totalTokens(p.tokens))} |`)
    }
    lines.push('')
  }
  const failed = view.agents.filter((a) => a.status === 'failed' || a.status === 'stopped')
  if (failed.length) {
    lines.push('## Agents that did not finish', '')
    for (const a of failed.slice(0, 50)) lines.push(`- \`${a.key}\` ${a.label}: ${a.status}${a.error ? ` — ${a.error}` : ''}`)
    if (failed.length > 50) lines.push(`- … and ${failed.length - 50} more (\`ocdw show ${run.id}\`)`)
    lines.push('')
  }
  if (run.status === 'completed') {
    lines.push('## Result', '')
    // Readable Markdown here; the raw value is in result.json.
    lines.push(resultMarkdown(view.result, 3), '', '_The raw result is in `result.json`._', '')
  }
  return lines.join('\n')
}
