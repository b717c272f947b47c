// bench pool: the same 300-agent run on one `opencode serve` and on a pool of three (issue 17.3). Each server is a real
// opencode-ai binary in its own isolated HOME/XDG tree with auth on (as src/offline/testbed.ts makes them); the
// offline model runs in a process of its own (`ocdw offline-model`, as a remote model would be) and answers after
// BENCH_LATENCY_MS (default 8 s): the run is latency-bound, so what a pool adds is agents in flight. Each server's
// capacity is BENCH_SERVER_CAP sessions at once (default 20: the project's ocdw.json caps the model at 20, and a cap
// applies per server, as it would for servers on machines of their own); 0 leaves ocdw's adaptive default uncapped,
// where one server's limit keeps growing and the comparison measures this machine's cores instead. Goal: wall-time
// ratio one/three >= 2.5. On a 2-core machine the three servers share the cores with ocdw, so the latency must be
// high enough that the servers' own CPU work per agent (~130 ms) does not become the limit (see bench/README.md).
import { createOpencodeExecutor } from '../dist/opencode/executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { isolatedEnv, offlineOpencodeConfig, OFFLINE_MODEL } from '../dist/offline/testbed.js'
import { startOpencodeServer } from '../dist/opencode/server.js'
import { authedClient } from '../dist/opencode/server-list.js'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { fanoutScript, machine, tempProject } from './lib.mjs'

/** CPU seconds (user + system) used so far by a process and its live descendants (the server under its watchdog). */
function cpuSeconds(pid) {
  let ticks = 0
  const walk = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(f[11]) + Number(f[12])
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) walk(Number(t))
    } catch {
      // gone, or no /proc here
    }
  }
  walk(pid)
  return ticks / 100
}

const N = Number(process.env.BENCH_AGENTS ?? 300)
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 8000)
const CAP = Number(process.env.BENCH_SERVER_CAP ?? 20)
const p = tempProject('ocdw-bench-pool-')
if (CAP > 0) {
  mkdirSync(join(p.dir, '.opencode'), { recursive: true })
  writeFileSync(join(p.dir, '.opencode', 'ocdw.json'), JSON.stringify({ concurrency: { [OFFLINE_MODEL]: CAP } }))
}
const beds = []
let model
try {
  model = await startModelProcess()
  for (let i = 0; i < 3; i++) beds.push(await startServer(model.url))
  async function run(servers, tag) {
    const executor = createOpencodeExecutor({ servers: servers.map((b) => ({ url: b.url, client: b.client, auth: b.auth })), directory: p.dir, defaultModel: OFFLINE_MODEL })
    let peakLimit = 0
    const cpu0 = servers.reduce((n, b) => n + cpuSeconds(b.pid), 0)
    const ocdw0 = (process.cpuUsage().user + process.cpuUsage().system) / 1e6
    const t0 = performance.now()
    const handle = await startRun({ projectDir: p.dir, script: fanoutScript(N, 1).replace("'bench agent '", `'bench ${tag} '`), executor, defaultModel: OFFLINE_MODEL, control: false })
    peakLimit = handle.view().concurrency?.limit ?? 0
    const sub = handle.events.subscribe((e) => {
      if (e.type === 'concurrency') peakLimit = Math.max(peakLimit, e.limit)
    })
    const s = await handle.done
    const ms = performance.now() - t0
    const ocdwCpu = (process.cpuUsage().user + process.cpuUsage().system) / 1e6 - ocdw0
    const cpu = servers.reduce((n, b) => n + cpuSeconds(b.pid), 0) - cpu0
    sub.unsubscribe()
    executor.close()
    if (s.agents.done !== N) throw new Error(`${tag}: ${s.agents.done}/${N} done (${s.status} ${s.error ?? ''})`)
    return { ms, peakLimit, cpu, ocdwCpu }
  }
  const one = await run(beds.slice(0, 1), 'one')
  const three = await run(beds, 'three')
  console.log(`machine: ${machine()}; offline model latency ${LATENCY} ms; ${N} agents, adaptive concurrency${CAP > 0 ? `, each server capped at ${CAP} in flight` : ', uncapped'}`)
  const line = (r) => `${(r.ms / 1000).toFixed(1)} s (limit up to ${r.peakLimit}; opencode CPU ${r.cpu.toFixed(1)} s = ${((r.cpu * 1000) / N).toFixed(0)} ms/agent, ${(r.cpu / (r.ms / 1000)).toFixed(2)} cores; ocdw CPU ${r.ocdwCpu.toFixed(1)} s)`
  console.log(`one server:    ${line(one)}`)
  console.log(`three servers: ${line(three)}`)
  console.log(`bench pool: ratio_one_over_three ${(one.ms / three.ms).toFixed(2)} (goal >= 2.5)`)
} finally {
  for (const b of beds) await b.stop().catch(() => undefined)
  model?.child.kill('SIGTERM')
  p.cleanup()
}

/** `ocdw offline-model` in its own process, answering after LATENCY ms. */
async function startModelProcess() {
  const rules = join(p.dir, 'offline-rules.json')
  writeFileSync(rules, JSON.stringify({ rules: [], latencyMs: LATENCY }))
  const child = spawn(process.execPath, [new URL('../bin/ocdw.js', import.meta.url).pathname, 'offline-model', '--rules', rules], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`offline-model exited (${code})`)))
    child.stdout.on('data', (d) => {
      out += d
      const m = /listening on (\S+)/.exec(out)
      if (m) resolve(m[1])
    })
  })
  return { url, child }
}

/** One `opencode serve` in an isolated HOME whose only provider is the offline model at `baseURL`. */
async function startServer(baseURL) {
  const home = mkdtempSync(join(tmpdir(), 'ocdw-bench-pool-home-'))
  const env = isolatedEnv(home)
  mkdirSync(join(env.XDG_CONFIG_HOME, 'opencode'), { recursive: true })
  writeFileSync(join(env.XDG_CONFIG_HOME, 'opencode', 'opencode.json'), JSON.stringify(offlineOpencodeConfig(baseURL)))
  const server = await startOpencodeServer({ cwd: p.dir, env, cleanupDir: home })
  return { url: server.url, pid: server.pid, auth: server.auth, client: authedClient(server.url, p.dir, server.auth), stop: () => server.stop() }
}
