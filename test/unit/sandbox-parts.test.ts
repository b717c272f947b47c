// The sandbox's parts on their own (src/script: vm.ts, agent-options.ts, script-files.ts, limit-messages.ts): the
// isolate's slices and limit accounting without the prelude or a backend, the agent() option check, how errors are
// located in the script, and the limit sentences.
import { describe, expect, it } from 'vitest'
import { checkAgentOptions } from '../../src/script/agent-options.js'
import { MB, tooLongText, tooManyPendingText } from '../../src/script/limit-messages.js'
import { PRELUDE_FILENAME } from '../../src/script/prelude.js'
import { describeScriptError, MAIN_FILE, subFile } from '../../src/script/script-files.js'
import { ScriptVm, type VmLimits } from '../../src/script/vm.js'

const LIMITS: VmLimits = { memoryBytes: 64 * MB, cpuMs: 10_000, sliceMs: 10_000, maxResultBytes: MB }

describe('ScriptVm: slices and limits', () => {
  it('ends a run whose slice leaves nothing pending and decides nothing: it could never finish', async () => {
    const vm = await ScriptVm.create(LIMITS)
    vm.slice(() => vm.ctx.evalCode('1 + 1').dispose())
    expect(await vm.done).toMatchObject({ status: 'failed', error: expect.stringMatching(/can never finish/) })
    expect(vm.isFinished).toBe(true)
  })

  it('keeps a run open while a deferred promise waits, and ends it with the outcome set inside the settling slice', async () => {
    const vm = await ScriptVm.create(LIMITS)
    const { d, settle } = vm.deferred()
    vm.slice(() => undefined)
    expect(vm.isFinished).toBe(false)
    settle(() => {
      d.resolve(vm.ctx.newString('x'))
      vm.outcome = { status: 'completed', result: 42, warnings: [] }
    })
    expect(await vm.done).toEqual({ status: 'completed', result: 42, warnings: [] })
  })

  it('stops an endless slice at the slice limit with the slice sentence', async () => {
    const vm = await ScriptVm.create({ ...LIMITS, sliceMs: 300 })
    vm.slice(() => {
      const r = vm.ctx.evalCode('for (;;) {}')
      if (r.error) vm.outcome = vm.failFromVm(r.error)
    })
    expect(await vm.done).toEqual({ status: 'failed', error: tooLongText('slice', { sliceMs: 300, cpuMs: LIMITS.cpuMs }) })
  })

  it('counts CPU over slices: the total limit binds when it has less room left than a slice', async () => {
    const vm = await ScriptVm.create({ ...LIMITS, cpuMs: 400, sliceMs: 10_000 })
    vm.slice(() => {
      const r = vm.ctx.evalCode('for (;;) {}')
      if (r.error) vm.outcome = vm.failFromVm(r.error)
    })
    expect(await vm.done).toEqual({ status: 'failed', error: tooLongText('total', { sliceMs: 10_000, cpuMs: 400 }) })
  })

  it('locates a thrown error in the script, and ends with stopped when the signal aborts between slices', async () => {
    const vm = await ScriptVm.create(LIMITS)
    vm.slice(() => {
      const r = vm.ctx.evalCode('const a = 1\nnull.x', MAIN_FILE)
      if (r.error) vm.outcome = vm.failFromVm(r.error)
    })
    expect(await vm.done).toEqual({ status: 'failed', error: expect.stringMatching(/^The script failed at line 2, column \d+: TypeError: /) })

    const abort = new AbortController()
    const waiting = await ScriptVm.create(LIMITS, abort.signal)
    waiting.deferred()
    waiting.stopOnAbort()
    waiting.slice(() => undefined)
    abort.abort()
    expect(await waiting.done).toEqual({ status: 'stopped' })
  })
})

describe('agent() options', () => {
  it('passes known options, lists unknown keys, and refuses a wrong one with the valid list', () => {
    expect(checkAgentOptions({ label: 'x', temperature: 1 })).toEqual({ opts: { label: 'x' }, unknownKeys: ['temperature'] })
    const bad = checkAgentOptions({ isolation: 'container' })
    expect(bad.error).toMatch(/^agent\(\) got invalid options \(isolation: .*\)\. Valid options: label, phase, schema/)
    let deep: unknown = 1
    for (let i = 0; i < 1100; i++) deep = [deep]
    expect(checkAgentOptions({ schema: { deep } }).error).toMatch(/^agent\(\) options nests more than 1000 levels deep/)
  })
})

describe('script files and error locations', () => {
  it('maps a first-line column back past the wrapper, names sub-workflows, and skips prelude frames', () => {
    const col = '(async () => { '.length + 7
    expect(describeScriptError('TypeError', 'x is undefined', `at f (script.js:1:${col})`)).toBe('The script failed at line 1, column 7: TypeError: x is undefined')
    const subs = new Map([[subFile('my flow!'), 'my flow!']])
    expect(subFile('my flow!')).toBe('workflow-my_flow_.js')
    expect(describeScriptError('Error', 'no', `at g (${PRELUDE_FILENAME}:9:1)\nat h (workflow-my_flow_.js:3:4)`, subs)).toBe('The script failed at line 3, column 4 of workflow "my flow!": Error: no')
    expect(describeScriptError('', 'odd', '')).toBe('The script failed: odd')
  })

  it('says how many calls may wait at once, in a readable number', () => {
    expect(tooManyPendingText(10_000)).toMatch(/^The script started more than 10,000 agent\(\), gate\(\) or workflow\(\) calls/)
  })
})
