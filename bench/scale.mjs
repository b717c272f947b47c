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
import { diskProject, machine, mb, sampleRss, storageOf } from './lib.mjs'

/**
 * n agents in parallel() batches of 1,000 (the same width at every size, so a size differs only in how many batches
 * it runs: wider batches do more work per tick and would flatter the larger runs; the sandbox lets 10,000 calls wait
 * at once), spread over up to 10 phases. The number of phases stays small, as in real workflows: each phase is an
 * actor beside the running agents, and XState copies that children map when an agent's actor starts and stops.
 */
function scaleScript(n) {
  const phases = Math.min(10, Math.ceil(n / 1000))
  return `export const meta = { name: 'bench-scale' }
const perPhase = Math.ceil(${n} / ${phases})
let total = 0
for (let p = 0; p < ${phases}; p++) {
  phase('P' + p)
  const inPhase = Math.min(perPhase, ${n} - p * perPhase)
  for (let b = 0; b < inPhase; b += 1000) {
    const count = Math.min(1000, inPhase - b)
    const out = await parallel(Array.from({ length: count }, (_, i) => () => agent('bench agent ' + p + '-' + (b + i))))
    total += out.filter(Boolean).length
  }
}
return { total }
`
}

async function timedRun(dir, n) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const run = await startRun({
    projectDir: dir,
    script: scaleScript(n),
    executor: createInstantExecutor(),
    concurrency: 16,
    maxAgents: n + 10,
    control: false,
  })
  const summary = await run.done
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  if (summary.agents.done !== n) throw new Error(`only ${summary.agents.done}/${n} agents finished (${summary.status}: ${summary.error ?? ''})`)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, runDir: run.runDir }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * One size, in this (fresh) process: a 10,000-agent warm-up (the JIT keeps optimising the hot paths for the first few
 * thousand agents; without it the 1,000-agent figure is a cold start's), a 10-agent run (the fixed cost of a run),
 * then `reps` runs of n agents (the median counts).
 */
async function measure(n, reps) {
  const p = diskProject('ocdw-bench-scale-')
  try {
    await timedRun(p.dir, 10_000)
    const fixed = await timedRun(p.dir, 10)
    if (global.gc) global.gc()
    const rss = sampleRss()
    const runs = []
    for (let i = 0; i < reps; i++) runs.push(await timedRun(p.dir, n))
    const { peak } = rss.stop()
    const big = runs.find((r) => r.ms === median(runs.map((x) => x.ms)))
    const files = runPaths(big.runDir)
    return {
      n,
      reps,
      storage: storageOf(p.dir),
      msPerAgent: (big.ms - fixed.ms) / (n - 10),
      cpuPerAgent: (median(runs.map((r) => r.cpuMs)) - fixed.cpuMs) / (n - 10),
      rawMsPerAgent: big.ms / n,
      wallMs: big.ms,
      cpuMs: median(runs.map((r) => r.cpuMs)),
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
  process.stdout.write(JSON.stringify(await measure(Number(process.argv[3]), Number(process.argv[4]))) + '\n')
  process.exit(0)
}

const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number)
const reps = Number(process.env.BENCH_REPS ?? 3)
const results = new Map()
for (const n of sizes) {
  const args = ['--expose-gc', fileURLToPath(import.meta.url), '--one', String(n), String(n >= 100_000 ? 1 : reps)]
  const r = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop())
  results.set(n, r)
  console.log(
    `${n.toLocaleString('en-US')} agents (${r.reps > 1 ? `median of ${r.reps} runs` : '1 run'}): ${r.msPerAgent.toFixed(3)} ms/agent wall, ${r.cpuPerAgent.toFixed(3)} ms/agent CPU (marginal; ${r.rawMsPerAgent.toFixed(3)} total/n), ` +
      `wall ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${mb(r.peak)} MB, journal ${r.journalPerAgent.toFixed(0)} B/agent, agents.jsonl ${r.storePerAgent.toFixed(0)} B/agent (${r.storeLines} records), on ${r.storage}`,
  )
}
console.log(`machine: ${machine()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
// The issue's figure: per-agent cost at each size against the first (1,000). And the stricter one: what each added
// agent costs going from one size to the next (no fixed cost in it); were something O(n) per agent, the step
// 10k -> 100k would cost ~10x the step 1k -> 10k per agent.
const base = results.get(sizes[0])
const ratios = sizes.slice(1).map((n, i) => {
  const r = results.get(n)
  const prev = results.get(sizes[i])
  return {
    n,
    wall: r.msPerAgent / base.msPerAgent,
    cpu: r.cpuPerAgent / base.cpuPerAgent,
    stepWall: (r.wallMs - prev.wallMs) / (n - prev.n),
    stepCpu: (r.cpuMs - prev.cpuMs) / (n - prev.n),
  }
})
const k = (n) => `${n / 1000}k`
for (const [i, q] of ratios.entries()) {
  const from = i ? ratios[i - 1].n : base.n
  console.log(`per-agent ratio ${k(q.n)} vs ${k(base.n)}: wall ${q.wall.toFixed(2)}, CPU ${q.cpu.toFixed(2)} (goal <= 1.1); each agent added ${k(from)} -> ${k(q.n)}: ${q.stepWall.toFixed(3)} ms wall, ${q.stepCpu.toFixed(3)} ms CPU`)
}
const steps = ratios.length > 1 ? { wall: ratios.at(-1).stepWall / ratios[0].stepWall, cpu: ratios.at(-1).stepCpu / ratios[0].stepCpu } : undefined
if (steps) console.log(`cost of an added agent, last step vs first: wall ${steps.wall.toFixed(2)}, CPU ${steps.cpu.toFixed(2)}`)
const last = results.get(sizes.at(-1))
const worst = ratios.length ? Math.max(...ratios.map((q) => q.wall)) : 1
console.log(
  `bench scale: per_agent_ratio ${worst.toFixed(2)} (${ratios.map((q) => `${k(q.n)}/${k(base.n)} wall ${q.wall.toFixed(2)} cpu ${q.cpu.toFixed(2)}`).join(', ')}${steps ? `; added-agent cost last/first step wall ${steps.wall.toFixed(2)} cpu ${steps.cpu.toFixed(2)}` : ''}; ${last.n.toLocaleString('en-US')} agents ${last.msPerAgent.toFixed(3)} ms/agent, peak RSS ${mb(last.peak)} MB)`,
)
