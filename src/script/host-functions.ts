// The host-function table: the only things the script's prelude can call on the host (`agent`, `phase`, `log`,
// `budget`, `gate`, `workflow`, `reserve`, and `done`/`fail` to report the end). Each takes and returns JSON strings
// (./bridge.ts), checks what the script passed against the sandbox's limits, and hands the work to the AgentBackend.
// The prelude receives them as one object it closes over; no global named `host` is ever created.
import type { QuickJSHandle } from 'quickjs-emscripten'
import type { AgentBackend, WorkflowResolver } from '../machines/types.js'
import { checkAgentOptions, unsupportedOptionText } from './agent-options.js'
import { createBridge, type Bridge } from './bridge.js'
import { AgentRefusedError, ScriptError } from './errors.js'
import { createKeyer } from './keys.js'
import { capText, nestsDeeperThan } from './limits.js'
import { MB, resultTooBigText, tooDeepText } from './limit-messages.js'
import { parseScript, type ParsedScript } from './meta.js'
import { subFile, wrapSub } from './script-files.js'
import type { ScriptVm } from './vm.js'

export interface HostEnv {
  backend: AgentBackend
  resolveWorkflow?: WorkflowResolver
  parsed: ParsedScript
  /** Warnings raised while running (ignored agent options); the completed outcome carries them. */
  warnings: string[]
}

type HostFn = (...args: QuickJSHandle[]) => QuickJSHandle | undefined

/** The host object the prelude is called with (the caller disposes it once the prelude has it). */
export function createHostObject(vm: ScriptVm, env: HostEnv): QuickJSHandle {
  const bridge = createBridge(vm, (m) => env.backend.log(m))
  const table: Record<string, HostFn> = {
    reserve: reserveFn(vm, bridge),
    ...agentFns(vm, env, bridge),
    budget: () => vm.ctx.newString(JSON.stringify(env.backend.budget())),
    gate: gateFn(vm, env, bridge),
    workflow: workflowFn(vm, env, bridge),
    ...endFns(vm, env, bridge),
  }
  const host = vm.ctx.newObject()
  for (const [name, impl] of Object.entries(table)) {
    const h = vm.ctx.newFunction(name, impl)
    vm.ctx.setProp(host, name, h)
    h.dispose()
  }
  return host
}

/** ArrayBuffer storage is outside QuickJS's heap limit: the prelude asks here before allocating one. Usage is
 *  measured (it walks the heap) only for big requests or after 4 MB of small ones, so small buffers stay cheap. */
function reserveFn(vm: ScriptVm, { str }: Bridge): HostFn {
  let smallBytes = 0
  return (bytesH) => {
    const bytes = Number(str(bytesH))
    if (bytes < MB && (smallBytes += bytes) < 4 * MB) return vm.ctx.newString('ok')
    smallBytes = 0
    if (vm.memoryUsed() + bytes <= vm.limits.memoryBytes) return vm.ctx.newString('ok')
    vm.outcome ??= { status: 'failed', error: vm.outOfMemoryText() }
    return vm.ctx.newString('no')
  }
}

/** agent(), and phase() which names the phase later agents default to. A refused call returns its sentence (a
 *  string) instead of a promise; the prelude throws it. */
function agentFns(vm: ScriptVm, { backend, parsed, warnings }: HostEnv, { str, hostPromise, tooManyPending }: Bridge): Record<string, HostFn> {
  const keyer = createKeyer()
  const warnedOptions = new Set<string>()
  let currentPhase: string | undefined
  const agent: HostFn = (promptH, optsH) => {
    const full = tooManyPending()
    if (full) return vm.ctx.newString(full)
    const prompt = str(promptH)
    const checked = checkAgentOptions(JSON.parse(str(optsH) || '{}') as Record<string, unknown>)
    if (checked.error !== undefined) return vm.ctx.newString(checked.error)
    for (const k of checked.unknownKeys) {
      if (warnedOptions.has(k)) continue
      warnedOptions.add(k)
      warnings.push(unsupportedOptionText(k))
      backend.log(unsupportedOptionText(k))
    }
    const opts = checked.opts
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
  }
  const phase: HostFn = (titleH) => {
    currentPhase = str(titleH)
    backend.phase(currentPhase)
    return undefined
  }
  const log: HostFn = (msgH) => {
    backend.log(capText(str(msgH)))
    return undefined
  }
  return { agent, phase, log }
}

/** gate(command): a shell command's result; a gate that cannot run resolves as failed with the reason. */
function gateFn(vm: ScriptVm, { backend }: HostEnv, { str, hostPromise, tooManyPending }: Bridge): HostFn {
  return (cmdH, optsH) => {
    const full = tooManyPending()
    if (full) return vm.ctx.newString(full)
    const command = str(cmdH)
    const opts = JSON.parse(str(optsH) || '{}') as { timeoutMs?: number }
    return hostPromise(
      () => backend.gate(command, typeof opts.timeoutMs === 'number' ? { timeoutMs: opts.timeoutMs } : undefined),
      (e) => ({ ok: false, exitCode: -1, output: `The gate could not run: ${e instanceof Error ? e.message : String(e)}` }),
    )
  }
}

/** workflow(name): looks a saved or bundled workflow up and compiles its body in this isolate, to run inline. */
function workflowFn(vm: ScriptVm, { backend, resolveWorkflow }: HostEnv, { str, tooManyPending }: Bridge): HostFn {
  const { ctx } = vm
  return (nameH) => {
    const full = tooManyPending()
    if (full) return ctx.newString(full)
    const name = str(nameH)
    const { d, settle } = vm.deferred()
    const rejectWith = (message: string) =>
      settle(() => {
        const h = ctx.newError({ name: 'Error', message })
        d.reject(h)
        h.dispose()
      })
    ;(async () => {
      if (!resolveWorkflow) throw new Error(`workflow("${name}") is not available in this run: no saved or bundled workflows can be looked up here.`)
      const found = await resolveWorkflow(name)
      return { found, sub: parseScript(found.source) }
    })().then(
      ({ found, sub }) =>
        settle(() => {
          const file = subFile(found.name)
          vm.subNames.set(file, found.name)
          backend.log(`workflow "${found.name}" started inline.`)
          const compiled = ctx.evalCode(wrapSub(sub.body), file)
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
  }
}

/** done(json) with the script's result, fail(name, message, stack) with what it threw: they decide the outcome. */
function endFns(vm: ScriptVm, { warnings }: HostEnv, { str }: Bridge): Record<string, HostFn> {
  const done: HostFn = (jsonH) => {
    const text = str(jsonH)
    if (text.length > vm.limits.maxResultBytes) {
      vm.outcome = { status: 'failed', error: resultTooBigText(text.length, vm.limits.maxResultBytes) }
    } else {
      const result = JSON.parse(text).v
      vm.outcome = nestsDeeperThan(result) ? { status: 'failed', error: tooDeepText("The script's result") } : { status: 'completed', result, warnings }
    }
    return undefined
  }
  const fail: HostFn = (nameH, msgH, stackH) => {
    vm.outcome = vm.scriptFailure(str(nameH), capText(str(msgH)), str(stackH))
    return undefined
  }
  return { done, fail }
}
