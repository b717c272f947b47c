// Runs a workflow script in a QuickJS (WASM) isolate: the script sees only the globals of prelude.ts, values cross
// as JSON, its synchronous CPU time and its memory are capped, and the host process survives whatever it does.
// The parts: ./vm.ts (the isolate, its slices and limit accounting), ./host-functions.ts (what the prelude may call,
// over ./bridge.ts), ./limit-messages.ts (the sentences a limit ends a run with), ./script-files.ts (how the body is
// wrapped and errors located). Async host calls (agent, gate, workflow) return QuickJS promises that the host settles
// later, running the VM's pending jobs after each settle ("slices").
import type { AgentBackend, WorkflowResolver } from '../machines/types.js'
import { ScriptError } from './errors.js'
import { createHostObject } from './host-functions.js'
import { nestsDeeperThan } from './limits.js'
import { argsTooDeepText, MB } from './limit-messages.js'
import { parseScript, type ParsedScript } from './meta.js'
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from './prelude.js'
import { MAIN_FILE, wrapMain } from './script-files.js'
import { ScriptVm, type RunScriptOutcome } from './vm.js'

export { MAX_PENDING } from './bridge.js'
export { describeScriptError } from './script-files.js'
export type { RunScriptOutcome } from './vm.js'

export interface SandboxLimits {
  /** QuickJS heap limit (default 256 MB). */
  memoryBytes?: number
  /** Total synchronous CPU time of the script over the run (default 30 s); time spent awaiting agents is free. */
  cpuMs?: number
  /** Longest single synchronous stretch (default: cpuMs). */
  sliceMs?: number
  /** Largest JSON result the script may return (default 10 MB). */
  maxResultBytes?: number
}

export interface RunScriptOptions {
  backend: AgentBackend
  args?: unknown
  resolveWorkflow?: WorkflowResolver
  limits?: SandboxLimits
  signal?: AbortSignal
}

/** The script's VM time, in total and per stretch without awaiting, unless the run sets other limits. */
export const DEFAULT_CPU_MS = 30_000
const DEFAULTS = { memoryBytes: 256 * MB, cpuMs: DEFAULT_CPU_MS, maxResultBytes: 10 * MB }

export async function runScript(script: string | ParsedScript, o: RunScriptOptions): Promise<RunScriptOutcome> {
  let parsed: ParsedScript
  try {
    parsed = typeof script === 'string' ? parseScript(script) : script
  } catch (e) {
    if (e instanceof ScriptError) return { status: 'failed', error: e.message }
    throw e
  }
  if (o.signal?.aborted) return { status: 'stopped' }
  if (nestsDeeperThan(o.args)) return { status: 'failed', error: argsTooDeepText() }
  const limits = { ...DEFAULTS, ...o.limits }
  const vm = await ScriptVm.create({ ...limits, sliceMs: o.limits?.sliceMs ?? limits.cpuMs }, o.signal)
  // A stop that came while the module was being created: the script must not start (no agent may run).
  if (o.signal?.aborted) {
    vm.end({ status: 'stopped' })
    return vm.done
  }
  const host = createHostObject(vm, { backend: o.backend, resolveWorkflow: o.resolveWorkflow, parsed, warnings: [] })
  vm.stopOnAbort()
  vm.slice(() => start(vm, host, parsed.body, o.args))
  return vm.done
}

/** The first slice: the prelude defines the globals and takes the host object, then the body runs as an async
 *  function. Any failure on the way becomes the run's outcome. */
function start(vm: ScriptVm, host: ReturnType<typeof createHostObject>, body: string, args: unknown): void {
  const { ctx } = vm
  const prelude = ctx.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME)
  if (prelude.error) {
    host.dispose()
    vm.outcome = vm.failFromVm(prelude.error)
    return
  }
  const argsH = args === undefined ? ctx.undefined : ctx.newString(JSON.stringify(args))
  const started = ctx.callFunction(prelude.value, ctx.undefined, host, argsH)
  prelude.value.dispose()
  argsH.dispose()
  host.dispose()
  if (started.error) {
    vm.outcome = vm.failFromVm(started.error)
    return
  }
  const main = ctx.evalCode(wrapMain(body), MAIN_FILE)
  if (main.error) {
    started.value.dispose()
    vm.outcome = vm.failFromVm(main.error)
    return
  }
  const call = ctx.callFunction(started.value, ctx.undefined, main.value)
  started.value.dispose()
  main.value.dispose()
  if (call.error) vm.outcome = vm.failFromVm(call.error)
  else call.value.dispose()
}
