// bench scale: is the runtime's cost per agent flat as runs grow? 1,000, 10,000 and 100,000 agents on the instant
// executor, the run written to a disk (not tmpfs), each size in a fresh process (so peak RSS is that run's own).
// Per-agent cost is the marginal one, (T(n) - T(10)) / (n - 10) after a warm-up run, so the one-off start of a run
// (sandbox, files) is not spread over the agents; wall and CPU time both. Prints the 10k/1k and 100k/1k ratios
// (goal <= 1.1), ms/agent (goal <= 0.5) and peak RSS (goal <= 300 MB).
//   BENCH_SIZES=1000,10000  sizes to run (default 1000,10000,100000); BENCH_REPS=3  runs per size below 100,000
import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInstantExecutor } from '../dist/actors/instant-executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { runPaths } from '../dist/store/run-dir.js'
import { diskProject, fanoutScript, machine, mb, sampleRss, storageOf } from './lib.mjs'

/** Agents per parallel() batch, the same at every size (so a size differs only in how many batches it runs: wider
 *  batches batch more work per tick and would flatter the larger runs). The sandbox lets 10,000 calls wait at once. */
const WIDTH = 1000

async function timedRun(dir, n) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const run = await startRun({
    projectDir: dir,
    // One phase per batch of WIDTH agents.
    script: fanoutScript(n, Math.max(1, Math.ceil(n / WIDTH))),
    executor: createInstantExecutor(),
    concurrency: 16,
    maxAgents: n + 10,
    control: false,
    // The sandbox charges the script for the VM time of resolving each agent's promise; 100,000 agents can pass its
    // default 30 s on a loaded machine. This bench measures the runtime, not that limit.
    sandboxLimits: { cpuMs: 3_600_000 },
  })
  const summary = await run.done
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  if (summary.agents.done !== n) throw new Error(`only ${summary.agents.done}/${n} agents finished (${summary.status}: ${summary.error ?? ''})`)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, runDir: run.runDir }
}

/** One size, in this (fresh) process: a warm-up run (the JIT has optimised the hot paths after a few thousand agents,
 *  so the 1,000-agent figure is not a cold start's), a 10-agent run (the fixed cost), then n agents. */
async function measure(n) {
  const p = diskProject('ocdw-bench-scale-')
  try {
    await timedRun(p.dir, 3000)
    const fixed = await timedRun(p.dir, 10)
    if (global.gc) global.gc()
    const rss = sampleRss()
    const big = await timedRun(p.dir, n)
    const { peak } = rss.stop()
    const files = runPaths(big.runDir)
    return {
      n,
      storage: storageOf(p.dir),
      msPerAgent: (big.ms - fixed.ms) / (n - 10),
      cpuPerAgent: (big.cpuMs - fixed.cpuMs) / (n - 10),
      rawMsPerAgent: big.ms / n,
      wallMs: big.ms,
      peak,
      journalPerAgent: statSync(files.journal).size / n,
      storePerAgent: statSync(files.agentStore).size / n,
      storeLines: readFileSync(files.agentStore, 'utf8').split('\n').length - 1,
    }
  } finally {
    p.cleanup()
  }
}

if (process.argv[2] === '--one') {
  process.stdout.write(JSON.stringify(await measure(Number(process.argv[3]))) + '\n')
  process.exit(0)
}

const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number)
const reps = Number(process.env.BENCH_REPS ?? 3)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = new Map()
for (const n of sizes) {
  const runs = []
  for (let i = 0; i < (n >= 100_000 ? 1 : reps); i++) {
    const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--one', String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 })
    runs.push(JSON.parse(out.trim().split('\n').pop()))
  }
  const r = { ...runs[0], msPerAgent: median(runs.map((x) => x.msPerAgent)), cpuPerAgent: median(runs.map((x) => x.cpuPerAgent)), peak: Math.max(...runs.map((x) => x.peak)), runs: runs.length }
  results.set(n, r)
  console.log(
    `${n.toLocaleString('en-US')} agents (${r.runs} run${r.runs > 1 ? 's, median' : ''}): ${r.msPerAgent.toFixed(3)} ms/agent wall, ${r.cpuPerAgent.toFixed(3)} ms/agent CPU (marginal; ${r.rawMsPerAgent.toFixed(3)} total/n), ` +
      `wall ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${mb(r.peak)} MB, journal ${r.journalPerAgent.toFixed(0)} B/agent, agents.jsonl ${r.storePerAgent.toFixed(0)} B/agent (${r.storeLines} records), on ${r.storage}`,
  )
}
console.log(`machine: ${machine()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
const base = results.get(sizes[0])
const ratios = sizes.slice(1).map((n) => {
  const r = results.get(n)
  return { n, wall: r.msPerAgent / base.msPerAgent, cpu: r.cpuPerAgent / base.cpuPerAgent }
})
for (const q of ratios) console.log(`per-agent ratio ${q.n.toLocaleString('en-US')} vs ${base.n.toLocaleString('en-US')}: wall ${q.wall.toFixed(2)}, CPU ${q.cpu.toFixed(2)} (goal <= 1.1)`)
const last = results.get(sizes[sizes.length - 1])
const worst = ratios.length ? Math.max(...ratios.map((q) => q.wall)) : 1
console.log(
  `bench scale: per_agent_ratio ${worst.toFixed(2)} (${ratios.map((q) => `${q.n / 1000}k/${base.n / 1000}k wall ${q.wall.toFixed(2)} cpu ${q.cpu.toFixed(2)}`).join(', ')}; ${last.n.toLocaleString('en-US')} agents ${last.msPerAgent.toFixed(3)} ms/agent, peak RSS ${mb(last.peak)} MB)`,
)
