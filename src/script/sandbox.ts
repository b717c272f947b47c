// Runs a workflow script in a QuickJS (WASM) isolate: the script sees only the globals of prelude.ts, values cross
// as JSON, its synchronous CPU time and its memory are capped, and the host process survives whatever it does.
// Each run gets its own WASM module instance, runtime and context (a few ms): a run that breaks the interpreter
// (e.g. a native stack overflow) cannot poison other runs. Async host calls (agent, gate, workflow) return QuickJS
// promises that the host settles later, running the VM's pending jobs after each settle ("slices").
import { newQuickJSWASMModule, type QuickJSContext, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten'
import type { AgentBackend, AgentOptions, WorkflowResolver } from '../machines/types.js'
import { AgentOptionsSchema } from '../machines/schemas.js'
import { AgentRefusedError, ScriptError } from './errors.js'
import { createKeyer } from './keys.js'
import { capText, MAX_DEPTH, nestsDeeperThan } from './limits.js'
import { parseScript, type ParsedScript } from './meta.js'
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from './prelude.js'

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

/** `warnings` are the ones raised while running (ignored agent options...); parse warnings stay on ParsedScript. */
export type RunScriptOutcome =
  | { status: 'completed'; result: unknown; warnings: string[] }
  | { status: 'failed'; error: string }
  | { status: 'stopped' }

const MB = 1024 * 1024
const DEFAULTS = { memoryBytes: 256 * MB, cpuMs: 30_000, maxResultBytes: 10 * MB }
/** QuickJS's own stack cap: well inside V8's native stack so deep recursion fails as a catchable RangeError. */
const MAX_STACK_BYTES = 256 * 1024
/** agent()/gate()/workflow() calls waiting at once; far more would exhaust the interpreter's host bridge. */
export const MAX_PENDING = 10_000
const MAIN_FILE = 'script.js'
const MAIN_PREFIX = '(async () => { '
const SUB_PREFIX = '(async (args, workflow) => { '

const KNOWN_OPTIONS = new Set(Object.keys(AgentOptionsSchema.shape))

const subFile = (name: string) => `workflow-${name.replace(/[^\w.-]/g, '_')}.js`

/** "TypeError: x is undefined (at line 3, column 7)" from a QuickJS error's stack; prelude frames are skipped. */
export function describeScriptError(name: string, message: string, stack: string, subNames: Map<string, string> = new Map()): string {
  const head = name && !message.startsWith(name) ? `${name}: ${message}` : message
  for (const line of stack.split('\n')) {
    const m = /\(?([^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim())
    if (!m || m[1] === PRELUDE_FILENAME) continue
    const row = Number(m[2])
    let col = Number(m[3])
    const sub = subNames.get(m[1])
    const prefix = sub ? SUB_PREFIX : MAIN_PREFIX
    if (row === 1 && col > prefix.length) col -= prefix.length
    return `The script failed at line ${row}, column ${col}${sub ? ` of workflow "${sub}"` : ''}: ${head}`
  }
  return `The script failed: ${head}`
}

export async function runScript(script: string | ParsedScript, o: RunScriptOptions): Promise<RunScriptOutcome> {
  let parsed: ParsedScript
  try {
    parsed = typeof script === 'string' ? parseScript(script) : script
  } catch (e) {
    if (e instanceof ScriptError) return { status: 'failed', error: e.message }
    throw e
  }
  if (o.signal?.aborted) return { status: 'stopped' }
  if (nestsDeeperThan(o.args)) return { status: 'failed', error: `The run's args nest more than ${MAX_DEPTH} levels deep, which ocdw refuses; flatten them.` }
  const limits = { ...DEFAULTS, ...o.limits }
  const sliceMs = o.limits?.sliceMs ?? limits.cpuMs
  const backend = o.backend

  const module = await newQuickJSWASMModule()
  const runtime: QuickJSRuntime = module.newRuntime()
  runtime.setMemoryLimit(limits.memoryBytes)
  runtime.setMaxStackSize(MAX_STACK_BYTES)
  const ctx: QuickJSContext = runtime.newContext()

  const keyer = createKeyer()
  const warnings: string[] = []
  const warnedOptions = new Set<string>()
  const pending = new Set<QuickJSDeferredPromise>()
  const subNames = new Map<string, string>()
  let currentPhase: string | undefined
  let cpuUsed = 0
  let sliceStart = 0
  let inSlice = false
  let overTime: 'total' | 'slice' | undefined
  let broken = false
  let outcome: RunScriptOutcome | undefined
  let finished = false
  let finish!: (r: RunScriptOutcome) => void
  const done = new Promise<RunScriptOutcome>((resolve) => (finish = resolve))

  // Which limit can end this slice is decided when it starts (the one with less room left), not by whichever check
  // a slow interrupt tick happens to see first: under CPU load the message stays the same.
  let sliceLimitBinds = true
  runtime.setInterruptHandler(() => {
    if (!inSlice) return false
    const elapsed = performance.now() - sliceStart
    if (sliceLimitBinds) {
      if (elapsed > sliceMs) overTime = 'slice'
    } else if (cpuUsed + elapsed > limits.cpuMs) overTime = 'total'
    return overTime !== undefined
  })

  const tooLong = () =>
    overTime === 'slice'
      ? `The script ran for more than ${sliceMs} ms without awaiting (an endless loop?), so it was stopped. Await agents instead of busy-waiting, or raise limits.sliceMs / limits.cpuMs if the work is real.`
      : `The script ran too long without awaiting: its own CPU time passed ${limits.cpuMs} ms (an endless loop?), so it was stopped. Make the script await its agents instead of computing in a loop, or raise limits.cpuMs if the work is real.`
  const tooDeep = (what: string) =>
    `${what} nests more than ${MAX_DEPTH} levels deep, which ocdw refuses (it could not be saved and resumed reliably); flatten the data.`
  const outOfMemory = `The script used more memory than its ${Math.round(limits.memoryBytes / MB)} MB limit (a memory bomb or a huge value?), so it was stopped. Keep large data out of script variables, or raise limits.memoryBytes if it is needed.`

  /** Ends the run once: records the outcome, frees every handle, the context and the runtime. */
  function end(r: RunScriptOutcome): void {
    if (finished) return
    if (inSlice) {
      // Called from inside VM work (e.g. a backend that aborts synchronously): the slice ends the run when it returns.
      outcome = r
      return
    }
    finished = true
    o.signal?.removeEventListener('abort', onAbort)
    if (!broken) {
      try {
        for (const d of pending) if (d.alive) d.dispose()
        pending.clear()
        ctx.dispose()
      } catch {
        // A run whose interpreter broke is dropped with its module instance; nothing else shares it.
      }
    }
    // The runtime is not freed (JS_FreeRuntime): QuickJS leaks objects when JSON.stringify of a large string runs
    // inside a promise job (reproducible without ocdw), and JS_FreeRuntime then aborts with "Assertion failed:
    // list_empty(&rt->gc_obj_list)" on stderr. The runtime lives in this run's own WASM module instance, which the
    // garbage collector reclaims whole once the run drops it, so nothing outlives the run either way.
    finish(r)
  }

  function failFromVm(errorHandle: QuickJSHandle): RunScriptOutcome {
    if (overTime) return { status: 'failed', error: tooLong() }
    let info: any
    try {
      info = ctx.dump(errorHandle)
    } catch {
      info = { message: 'unknown error' }
    } finally {
      if (errorHandle.alive) errorHandle.dispose()
    }
    const message = capText(String(info?.message ?? info))
    if (/out of memory/i.test(message)) return { status: 'failed', error: outOfMemory }
    return { status: 'failed', error: describeScriptError(String(info?.name ?? ''), message, String(info?.stack ?? ''), subNames) }
  }

  /** Runs VM work synchronously, counts its CPU time, drains pending jobs, then checks how the run stands. */
  function slice(work: () => void): void {
    if (finished) return
    inSlice = true
    sliceLimitBinds = sliceMs <= limits.cpuMs - cpuUsed
    sliceStart = performance.now()
    try {
      work()
      if (!overTime && !outcome) {
        const jobs = runtime.executePendingJobs()
        if (jobs.error) outcome = failFromVm(jobs.error)
      }
    } catch (e) {
      // A host-level failure inside the interpreter (V8 stack exhausted, WASM abort): the module is unusable.
      broken = true
      const msg = e instanceof Error ? e.message : String(e)
      outcome = {
        status: 'failed',
        error: /call stack|stack overflow/i.test(msg)
          ? 'The script recursed too deeply and ran out of stack. Replace deep recursion with a loop.'
          : overTime ? tooLong() : /memory/i.test(msg) ? outOfMemory : `The script's interpreter failed: ${msg}. The run was stopped.`,
      }
    } finally {
      inSlice = false
      cpuUsed += performance.now() - sliceStart
    }
    if (!outcome && overTime) outcome = { status: 'failed', error: tooLong() }
    if (!outcome && pending.size === 0) {
      outcome = {
        status: 'failed',
        error: 'The script is waiting for a promise that nothing will ever settle (no agent, gate or workflow is running), so it can never finish. Await only agent(), parallel(), pipeline(), gate() or workflow() results.',
      }
    }
    if (outcome) end(outcome)
  }

  /** A QuickJS promise the host settles later; `settle` runs inside a CPU-accounted slice and frees the handle. */
  function deferredInSandbox() {
    const d = ctx.newPromise()
    pending.add(d)
    const settle = (fn: () => void) => {
      if (finished) return
      pending.delete(d)
      slice(() => {
        fn()
        if (d.alive) d.dispose()
      })
    }
    return { d, settle }
  }

  /** A QuickJS promise settled later from the host with a JSON value (or a rejection built by `reject`). */
  function hostPromise(run: () => Promise<unknown>, onError: (e: unknown) => unknown = () => null): QuickJSHandle {
    const { d, settle } = deferredInSandbox()
    const resolveWith = (value: unknown) =>
      settle(() => {
        let text: string
        try {
          if (nestsDeeperThan(value)) {
            backend.log(tooDeep('A result passed to the script') + ' The script gets null instead.')
            value = null
          }
          text = JSON.stringify({ v: value === undefined ? null : value })
        } catch {
          backend.log('A host result could not be passed to the script as JSON; the script gets null instead.')
          text = '{"v":null}'
        }
        const h = ctx.newString(text)
        d.resolve(h)
        h.dispose()
      })
    let p: Promise<unknown>
    try {
      p = run()
    } catch (e) {
      p = Promise.reject(e)
    }
    p.then(resolveWith, (e) => {
      const fallback = onError(e)
      if (fallback instanceof Error) {
        settle(() => {
          const h = ctx.newError({ name: fallback.name === 'AgentRefusedError' ? fallback.name : 'Error', message: fallback.message })
          d.reject(h)
          h.dispose()
        })
      } else resolveWith(fallback)
    })
    return d.handle
  }

  // ---- host functions ---------------------------------------------------------------------------------------
  const host = ctx.newObject()
  const fn = (name: string, impl: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
    const h = ctx.newFunction(name, impl)
    ctx.setProp(host, name, h)
    h.dispose()
  }
  // The prelude JSON-encodes every string it passes (so a NUL inside survives the C-string crossing).
  const str = (h: QuickJSHandle | undefined): string => {
    if (h === undefined || ctx.typeof(h) !== 'string') return ''
    const raw = ctx.getString(h)
    try {
      return String(JSON.parse(raw))
    } catch {
      return raw
    }
  }
  const tooManyPending = (): string | undefined => {
    if (pending.size < MAX_PENDING) return undefined
    const message = `The script started more than ${MAX_PENDING.toLocaleString('en-US')} agent(), gate() or workflow() calls that were all waiting at once, so it was stopped. Start them in batches (await a parallel() of at most a few thousand before starting more).`
    outcome ??= { status: 'failed', error: message }
    return message
  }
  // ArrayBuffer storage is outside QuickJS's heap limit: the prelude asks here before allocating one. Usage is
  // measured (it walks the heap) only for big requests or after 4 MB of small ones, so small buffers stay cheap.
  let smallBytes = 0
  fn('reserve', (bytesH) => {
    const bytes = Number(str(bytesH))
    if (bytes < MB && (smallBytes += bytes) < 4 * MB) return ctx.newString('ok')
    smallBytes = 0
    const usage = runtime.computeMemoryUsage()
    const used = Number((ctx.dump(usage) as { memory_used_size?: number })?.memory_used_size ?? 0)
    usage.dispose()
    if (used + bytes <= limits.memoryBytes) return ctx.newString('ok')
    outcome ??= { status: 'failed', error: outOfMemory }
    return ctx.newString('no')
  })

  fn('agent', (promptH, optsH) => {
    const full = tooManyPending()
    if (full) return ctx.newString(full)
    const prompt = str(promptH)
    const raw = JSON.parse(str(optsH) || '{}') as Record<string, unknown>
    if (nestsDeeperThan(raw)) return ctx.newString(tooDeep('agent() options'))
    const checked = AgentOptionsSchema.safeParse(raw)
    if (!checked.success) {
      const problems = checked.error.issues.map((i) => `${i.path.join('.') || 'opts'}: ${i.message}`).join('; ')
      return ctx.newString(`agent() got invalid options (${problems}). Valid options: label, phase, schema (a JSON Schema object), model, effort, agentType, isolation: 'worktree', timeoutMs.`)
    }
    for (const k of Object.keys(raw)) {
      if (KNOWN_OPTIONS.has(k) || warnedOptions.has(k)) continue
      warnedOptions.add(k)
      const w = `agent() option "${k}" is not supported by ocdw and was ignored.`
      warnings.push(w)
      backend.log(w)
    }
    const opts = checked.data as AgentOptions
    const phase = opts.phase ?? currentPhase ?? parsed.meta.phases?.[0]?.title ?? 'Main'
    const key = keyer.next(prompt, opts, phase)
    return hostPromise(
      () => backend.agent({ key, prompt, phase, opts }),
      (e) => {
        if (e instanceof AgentRefusedError) return e
        backend.log(capText(`agent "${opts.label ?? key}" failed and resolves to null: ${e instanceof Error ? e.message : String(e)}`))
        return null
      },
    )
  })
  fn('phase', (titleH) => {
    currentPhase = str(titleH)
    backend.phase(currentPhase)
    return undefined
  })
  fn('log', (msgH) => {
    backend.log(capText(str(msgH)))
    return undefined
  })
  fn('budget', () => ctx.newString(JSON.stringify(backend.budget())))
  fn('gate', (cmdH, optsH) => {
    const full = tooManyPending()
    if (full) return ctx.newString(full)
    const command = str(cmdH)
    const opts = JSON.parse(str(optsH) || '{}') as { timeoutMs?: number }
    return hostPromise(
      () => backend.gate(command, typeof opts.timeoutMs === 'number' ? { timeoutMs: opts.timeoutMs } : undefined),
      (e) => ({ ok: false, exitCode: -1, output: `The gate could not run: ${e instanceof Error ? e.message : String(e)}` }),
    )
  })
  fn('workflow', (nameH) => {
    const full = tooManyPending()
    if (full) return ctx.newString(full)
    const name = str(nameH)
    const { d, settle } = deferredInSandbox()
    const rejectWith = (message: string) =>
      settle(() => {
        const h = ctx.newError({ name: 'Error', message })
        d.reject(h)
        h.dispose()
      })
    ;(async () => {
      if (!o.resolveWorkflow) throw new Error(`workflow("${name}") is not available in this run: no saved or bundled workflows can be looked up here.`)
      const found = await o.resolveWorkflow(name)
      return { found, sub: parseScript(found.source) }
    })().then(
      ({ found, sub }) =>
        settle(() => {
          const file = subFile(found.name)
          subNames.set(file, found.name)
          backend.log(`workflow "${found.name}" started inline.`)
          const compiled = ctx.evalCode(`${SUB_PREFIX}${sub.body}\n})`, file)
          if (compiled.error) {
            d.reject(compiled.error)
            compiled.error.dispose()
          } else {
            d.resolve(compiled.value)
            compiled.value.dispose()
          }
        }),
      (e) => rejectWith(e instanceof ScriptError ? `The workflow "${name}" cannot run: ${e.message}` : e instanceof Error ? e.message : String(e)),
    )
    return d.handle
  })
  fn('done', (jsonH) => {
    const text = str(jsonH)
    if (text.length > limits.maxResultBytes) {
      outcome = {
        status: 'failed',
        error: `The script's result is ${Math.round(text.length / 1024)} KB, over the ${Math.round(limits.maxResultBytes / 1024)} KB limit. Return a summary and keep large data in files the agents write.`,
      }
    } else {
      const result = JSON.parse(text).v
      outcome = nestsDeeperThan(result) ? { status: 'failed', error: tooDeep("The script's result") } : { status: 'completed', result, warnings }
    }
    return undefined
  })
  fn('fail', (nameH, msgH, stackH) => {
    const message = capText(str(msgH))
    outcome = overTime
      ? { status: 'failed', error: tooLong() }
      : /out of memory/i.test(message)
        ? { status: 'failed', error: outOfMemory }
        : { status: 'failed', error: describeScriptError(str(nameH), message, str(stackH), subNames) }
    return undefined
  })

  const onAbort = () => end({ status: 'stopped' })
  o.signal?.addEventListener('abort', onAbort)

  // ---- start: the prelude defines the globals, then the body runs as an async function ---------------------------
  slice(() => {
    const prelude = ctx.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME)
    if (prelude.error) {
      host.dispose()
      outcome = failFromVm(prelude.error)
      return
    }
    const argsH = o.args === undefined ? ctx.undefined : ctx.newString(JSON.stringify(o.args))
    const started = ctx.callFunction(prelude.value, ctx.undefined, host, argsH)
    prelude.value.dispose()
    argsH.dispose()
    host.dispose()
    if (started.error) {
      outcome = failFromVm(started.error)
      return
    }
    const main = ctx.evalCode(`${MAIN_PREFIX}${parsed.body}\n})`, MAIN_FILE)
    if (main.error) {
      started.value.dispose()
      outcome = failFromVm(main.error)
      return
    }
    const call = ctx.callFunction(started.value, ctx.undefined, main.value)
    started.value.dispose()
    main.value.dispose()
    if (call.error) outcome = failFromVm(call.error)
    else call.value.dispose()
  })
  return done
}
