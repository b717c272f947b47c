// bench sandbox: 1,000 agent() round trips through the QuickJS sandbox against the in-process backend, awaited one
// after another, against the same loop in plain Node calling the backend directly. Goal: <= 1 ms per call.
import { createInProcessBackend } from '../dist/script/in-process-backend.js'
import { runScript } from '../dist/script/sandbox.js'
import { machine } from './lib.mjs'

const N = Number(process.env.BENCH_CALLS ?? 1000)
async function plain() {
  const backend = createInProcessBackend()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) await backend.agent({ key: `k${i}`, prompt: `call ${i}`, phase: 'Main', opts: {} })
  return performance.now() - t0
}
async function sandboxed() {
  const backend = createInProcessBackend()
  const t0 = performance.now()
  const r = await runScript(`export const meta = { name: 'bench' }\nlet n = 0\nfor (let i = 0; i < ${N}; i++) { if (await agent('call ' + i)) n++ }\nreturn n`, { backend })
  const ms = performance.now() - t0
  if (r.status !== 'completed' || r.result !== N) throw new Error(`sandbox bench: ${JSON.stringify(r).slice(0, 200)}`)
  return ms
}
await plain()
await sandboxed()
const base = await plain()
const sb = await sandboxed()
console.log(`machine: ${machine()}`)
console.log(`plain Node loop: ${base.toFixed(1)} ms (${(base / N).toFixed(4)} ms/call); sandbox: ${sb.toFixed(1)} ms (${(sb / N).toFixed(3)} ms/call)`)
console.log(`bench sandbox: ms/call ${(sb / N).toFixed(3)} (ratio vs plain Node ${(sb / Math.max(base, 0.001)).toFixed(1)})`)
