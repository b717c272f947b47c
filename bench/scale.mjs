// bench scale: 10,000 agents on the instant executor: wall time, peak RSS (goal <= 300 MB) and journal bytes per
// agent, against the same run at 1,000 agents (the baseline: per-agent cost should stay flat as runs grow).
import { statSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInstantExecutor } from '../dist/actors/instant-executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { fanoutScript, machine, mb, sampleRss, tempProject } from './lib.mjs'

async function once(n) {
  const p = tempProject()
  try {
    const rss = sampleRss()
    const t0 = performance.now()
    const run = await startRun({ projectDir: p.dir, script: fanoutScript(n, 10), executor: createInstantExecutor(), concurrency: 16, maxAgents: n + 10, control: false })
    const summary = await run.done
    const ms = performance.now() - t0
    const { peak } = rss.stop()
    if (summary.agents.done !== n) throw new Error(`only ${summary.agents.done}/${n} agents finished (${summary.status}: ${summary.error ?? ''})`)
    const journal = statSync(join(run.runDir, 'journal.jsonl')).size
    const agentFiles = readdirSync(join(run.runDir, 'agents')).length
    return { ms, peak, journalPerAgent: journal / n, agentFiles }
  } finally {
    p.cleanup()
  }
}

const N = Number(process.env.BENCH_AGENTS ?? 10000)
const small = await once(1000)
if (global.gc) global.gc()
const big = await once(N)
console.log(`machine: ${machine()}`)
console.log(`1,000 agents: ${small.ms.toFixed(0)} ms (${(small.ms / 1000).toFixed(3)} ms/agent), peak RSS ${mb(small.peak)} MB`)
console.log(`${N.toLocaleString('en-US')} agents: ${big.ms.toFixed(0)} ms (${(big.ms / N).toFixed(3)} ms/agent), peak RSS ${mb(big.peak)} MB (goal <= 300), journal ${big.journalPerAgent.toFixed(0)} B/agent, ${big.agentFiles} agent files`)
console.log(`per-agent time ratio ${N} vs 1,000: ${((big.ms / N) / (small.ms / 1000)).toFixed(2)}`)
console.log(`bench scale: peak_rss_mb ${mb(big.peak)} (wall ${(big.ms / 1000).toFixed(1)} s, ratio per-agent vs 1k ${((big.ms / N) / (small.ms / 1000)).toFixed(2)})`)
