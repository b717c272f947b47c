// One script run's QuickJS isolate and its limit accounting. Each run gets its own WASM module instance, runtime and
// context (a few ms): a run that breaks the interpreter (e.g. a native stack overflow) cannot poison other runs. All
// VM work happens in "slices" (`slice`): synchronous stretches whose CPU time is counted against the per-slice and
// total limits (an interrupt handler stops a slice that passes them), after which the VM's pending jobs run and the
// run's state is checked. The host functions (./host-functions.ts) decide outcomes by setting `outcome`; the slice
// they run in then ends the run with it.
import { newQuickJSWASMModule, type QuickJSContext, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten'
import { capText } from './limits.js'
import { interpreterFailedText, NEVER_SETTLES_TEXT, outOfMemoryText, STACK_OVERFLOW_TEXT, tooLongText } from './limit-messages.js'
import { describeScriptError } from './script-files.js'

/** `warnings` are the ones raised while running (ignored agent options...); parse warnings stay on ParsedScript. */
export type RunScriptOutcome =
  | { status: 'completed'; result: unknown; warnings: string[] }
  | { status: 'failed'; error: string }
  | { status: 'stopped' }

/** The limits of one run, every default filled in (see SandboxLimits in ./sandbox.ts). */
export interface VmLimits {
  memoryBytes: number
  cpuMs: number
  sliceMs: number
  maxResultBytes: number
}

/** QuickJS's own stack cap: well inside V8's native stack so deep recursion fails as a catchable RangeError. */
const MAX_STACK_BYTES = 256 * 1024

export class ScriptVm {
  /** Host calls (agent, gate, workflow) the script is waiting for; none left while nothing else can settle = stuck. */
  readonly pending = new Set<QuickJSDeferredPromise>()
  /** Sub-workflow file names to workflow names, so an error inside one names it. */
  readonly subNames = new Map<string, string>()
  /** How the run ends, once something decided it (a host function, a failure); the current slice then ends it. */
  outcome: RunScriptOutcome | undefined
  /** Resolves once, with the run's outcome, after every handle is freed. */
  readonly done: Promise<RunScriptOutcome>
  private finish!: (r: RunScriptOutcome) => void
  private finished = false
  private broken = false
  private cpuUsed = 0
  private sliceStart = 0
  private inSlice = false
  private overTime: 'total' | 'slice' | undefined
  /** Which limit can end the current slice is decided when it starts (the one with less room left), not by whichever
   *  check a slow interrupt tick happens to see first: under CPU load the message stays the same. */
  private sliceLimitBinds = true
  private readonly onAbort = () => this.end({ status: 'stopped' })

  private constructor(
    readonly runtime: QuickJSRuntime,
    readonly ctx: QuickJSContext,
    readonly limits: VmLimits,
    private readonly signal?: AbortSignal,
  ) {
    this.done = new Promise<RunScriptOutcome>((resolve) => (this.finish = resolve))
    runtime.setInterruptHandler(() => this.interrupt())
  }

  /** A fresh module, runtime and context with the memory and stack caps set. */
  static async create(limits: VmLimits, signal?: AbortSignal): Promise<ScriptVm> {
    const module = await newQuickJSWASMModule()
    const runtime = module.newRuntime()
    runtime.setMemoryLimit(limits.memoryBytes)
    runtime.setMaxStackSize(MAX_STACK_BYTES)
    return new ScriptVm(runtime, runtime.newContext(), limits, signal)
  }

  get isFinished(): boolean {
    return this.finished
  }

  /** Ends the run with `stopped` when the signal aborts (call once the script is ready to start). */
  stopOnAbort(): void {
    this.signal?.addEventListener('abort', this.onAbort)
  }

  /** The time-limit sentence when a time limit stopped the current work, else undefined. */
  timeLimitText(): string | undefined {
    return this.overTime && tooLongText(this.overTime, this.limits)
  }

  outOfMemoryText(): string {
    return outOfMemoryText(this.limits.memoryBytes)
  }

  /** Bytes the QuickJS heap uses now (walks the heap: not for every small allocation). */
  memoryUsed(): number {
    const usage = this.runtime.computeMemoryUsage()
    const used = Number((this.ctx.dump(usage) as { memory_used_size?: number })?.memory_used_size ?? 0)
    usage.dispose()
    return used
  }

  /** The outcome for an error the script threw (or that a time or memory limit raised inside it). */
  scriptFailure(name: string, message: string, stack: string): RunScriptOutcome {
    const time = this.timeLimitText()
    if (time) return { status: 'failed', error: time }
    if (/out of memory/i.test(message)) return { status: 'failed', error: this.outOfMemoryText() }
    return { status: 'failed', error: describeScriptError(name, message, stack, this.subNames) }
  }

  /** The outcome for an error handle the VM returned (frees it). */
  failFromVm(errorHandle: QuickJSHandle): RunScriptOutcome {
    const time = this.timeLimitText()
    if (time) return { status: 'failed', error: time }
    let info: unknown
    try {
      info = this.ctx.dump(errorHandle)
    } catch {
      info = { message: 'unknown error' }
    } finally {
      if (errorHandle.alive) errorHandle.dispose()
    }
    // A thrown non-object (a string, a number) is its own message.
    const e: { name?: unknown; message?: unknown; stack?: unknown } = typeof info === 'object' && info !== null ? info : {}
    return this.scriptFailure(String(e.name ?? ''), capText(String(e.message ?? info)), String(e.stack ?? ''))
  }

  /** Runs VM work synchronously, counts its CPU time, drains pending jobs, then checks how the run stands. */
  slice(work: () => void): void {
    if (this.finished) return
    this.inSlice = true
    this.sliceLimitBinds = this.limits.sliceMs <= this.limits.cpuMs - this.cpuUsed
    this.sliceStart = performance.now()
    try {
      work()
      if (!this.overTime && !this.outcome) {
        const jobs = this.runtime.executePendingJobs()
        if (jobs.error) this.outcome = this.failFromVm(jobs.error)
      }
    } catch (e) {
      // A host-level failure inside the interpreter (V8 stack exhausted, WASM abort): the module is unusable.
      this.broken = true
      this.outcome = { status: 'failed', error: this.crashText(e instanceof Error ? e.message : String(e)) }
    } finally {
      this.inSlice = false
      this.cpuUsed += performance.now() - this.sliceStart
    }
    if (!this.outcome && this.overTime) this.outcome = { status: 'failed', error: this.timeLimitText()! }
    if (!this.outcome && this.pending.size === 0) this.outcome = { status: 'failed', error: NEVER_SETTLES_TEXT }
    if (this.outcome) this.end(this.outcome)
  }

  /** A QuickJS promise the host settles later; `settle` runs inside a CPU-accounted slice and frees the handle. */
  deferred(): { d: QuickJSDeferredPromise; settle: (fn: () => void) => void } {
    const d = this.ctx.newPromise()
    this.pending.add(d)
    const settle = (fn: () => void) => {
      if (this.finished) return
      this.pending.delete(d)
      this.slice(() => {
        fn()
        if (d.alive) d.dispose()
      })
    }
    return { d, settle }
  }

  /** Ends the run once: records the outcome, frees every handle and the context. */
  end(r: RunScriptOutcome): void {
    if (this.finished) return
    if (this.inSlice) {
      // Called from inside VM work (e.g. a backend that aborts synchronously): the slice ends the run when it returns.
      this.outcome = r
      return
    }
    this.finished = true
    this.signal?.removeEventListener('abort', this.onAbort)
    if (!this.broken) {
      try {
        for (const d of this.pending) if (d.alive) d.dispose()
        this.pending.clear()
        this.ctx.dispose()
      } catch {
        // A run whose interpreter broke is dropped with its module instance; nothing else shares it.
      }
    }
    // The runtime is not freed (JS_FreeRuntime): QuickJS leaks objects when JSON.stringify of a large string runs
    // inside a promise job (reproducible without ocdw), and JS_FreeRuntime then aborts with "Assertion failed:
    // list_empty(&rt->gc_obj_list)" on stderr. The runtime lives in this run's own WASM module instance, which the
    // garbage collector reclaims whole once the run drops it, so nothing outlives the run either way.
    this.finish(r)
  }

  private interrupt(): boolean {
    if (!this.inSlice) return false
    const elapsed = performance.now() - this.sliceStart
    if (this.sliceLimitBinds) {
      if (elapsed > this.limits.sliceMs) this.overTime = 'slice'
    } else if (this.cpuUsed + elapsed > this.limits.cpuMs) this.overTime = 'total'
    return this.overTime !== undefined
  }

  private crashText(message: string): string {
    if (/call stack|stack overflow/i.test(message)) return STACK_OVERFLOW_TEXT
    return this.timeLimitText() ?? (/memory/i.test(message) ? this.outOfMemoryText() : interpreterFailedText(message))
  }
}
