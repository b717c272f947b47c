// bench pool: the same 300-agent run on one `opencode serve` and on a pool of three (issue 17.3). Each server is a real
// opencode-ai binary in its own isolated HOME/XDG tree with auth on (src/offline/testbed.ts) and its own offline model,
// which answers after BENCH_LATENCY_MS: the run is latency-bound, as with a remote model, so what a pool adds is
// agents in flight. Concurrency is ocdw's default (adaptive, per server: 16 per server to start). Goal: wall-time
// ratio one/three >= 2.5. On a 2-core machine the three servers share the cores with ocdw, so the latency must be
// high enough that the servers' own CPU work per agent does not become the limit (see bench/README.md).
import { createOpencodeExecutor } from '../dist/opencode/executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { startOfflineTestbed } from '../dist/offline/testbed.js'
import { fanoutScript, machine, tempProject } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 300)
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 2000)
const p = tempProject('ocdw-bench-pool-')
const beds = []
try {
  for (let i = 0; i < 3; i++) beds.push(await startOfflineTestbed({ projectDir: p.dir, latencyMs: LATENCY }))
  async function run(servers, tag) {
    const executor = createOpencodeExecutor({ servers: servers.map((b) => ({ url: b.url, client: b.client, auth: b.auth })), directory: p.dir, defaultModel: beds[0].model })
    let peakLimit = 0
    const t0 = performance.now()
    const handle = await startRun({ projectDir: p.dir, script: fanoutScript(N, 1).replace("'bench agent '", `'bench ${tag} '`), executor, control: false })
    peakLimit = handle.view().concurrency?.limit ?? 0
    const sub = handle.events.subscribe((e) => {
      if (e.type === 'concurrency') peakLimit = Math.max(peakLimit, e.limit)
    })
    const s = await handle.done
    const ms = performance.now() - t0
    sub.unsubscribe()
    executor.close()
    if (s.agents.done !== N) throw new Error(`${tag}: ${s.agents.done}/${N} done (${s.status} ${s.error ?? ''})`)
    return { ms, peakLimit }
  }
  const one = await run(beds.slice(0, 1), 'one')
  const three = await run(beds, 'three')
  console.log(`machine: ${machine()}; offline model latency ${LATENCY} ms; ${N} agents, adaptive concurrency`)
  console.log(`one server:    ${(one.ms / 1000).toFixed(1)} s (limit up to ${one.peakLimit})`)
  console.log(`three servers: ${(three.ms / 1000).toFixed(1)} s (limit up to ${three.peakLimit})`)
  console.log(`bench pool: ratio_one_over_three ${(one.ms / three.ms).toFixed(2)} (goal >= 2.5)`)
} finally {
  for (const b of beds) await b.stop().catch(() => undefined)
  p.cleanup()
}
