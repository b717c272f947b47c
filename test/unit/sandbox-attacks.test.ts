// Attacks on the sandbox and the runtime around it: escapes, resources, time, output size, floods. Each asserts the
// exact refusal (or that the attack reaches nothing of the host), and that the host process lives on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createInstantExecutor } from '../../src/actors/instant-executor.js'
import { startRun } from '../../src/actors/runtime.js'
import { parseScript } from '../../src/script/meta.js'
import { createInProcessBackend } from '../../src/script/in-process-backend.js'
import { runScript } from '../../src/script/sandbox.js'

const META = "export const meta = { name: 'attack' }\n"
const LIMITS = { cpuMs: 1500, memoryBytes: 64 * 1024 * 1024 }
const nested = async () => ({ name: 'w', source: "export const meta = { name: 'w' }\nreturn await workflow('w', 2)" })

async function outcome(body: string, limits: Record<string, number> = LIMITS) {
  const backend = createInProcessBackend()
  const r = await runScript(META + body, { backend, limits, resolveWorkflow: nested })
  return { r, backend }
}
async function result(body: string) {
  const { r } = await outcome(body)
  if (r.status !== 'completed') throw new Error(`expected completed, got ${JSON.stringify(r)}`)
  return r.result
}
async function refusal(body: string, limits?: Record<string, number>) {
  const { r } = await outcome(body, limits)
  if (r.status !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(r)}`)
  return r.error
}

const ESCAPES: [string, string, unknown][] = [
  ['Function constructor to reach process', "return this.constructor.constructor('return typeof process')()", 'undefined'],
  ['globalThis through the Function constructor', "return globalThis.constructor.constructor('return Object.keys(globalThis).filter((k) => /process|require|fs|std|os/.test(k))')()", []],
  ['indirect eval', "return (0, eval)('typeof process + typeof require')", 'undefinedundefined'],
  ['QuickJS std/os modules and scriptArgs', 'return [typeof std, typeof os, typeof scriptArgs, typeof print]', ['undefined', 'undefined', 'undefined', 'undefined']],
  ['WebAssembly', 'return typeof WebAssembly', 'undefined'],
  ['network: fetch, XMLHttpRequest, WebSocket', 'return [typeof fetch, typeof XMLHttpRequest, typeof WebSocket]', ['undefined', 'undefined', 'undefined']],
  ['timers that outlive the run', 'return [typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask === "function" ? "ok" : "none"]', ['undefined', 'undefined', 'undefined', 'none']],
  ['Buffer, module, exports, __dirname', 'return [typeof Buffer, typeof module, typeof exports, typeof __dirname]', ['undefined', 'undefined', 'undefined', 'undefined']],
  ['prototype pollution stays inside', "Object.prototype.polluted = 'yes'; Array.prototype.push = null; return ({}).polluted", 'yes'],
  ['removing the prototype of the global object', 'Object.setPrototypeOf(globalThis, null); return typeof agent', 'function'],
]

describe('escapes reach nothing of the host', () => {
  for (const [name, body, expected] of ESCAPES) {
    it(name, async () => {
      expect(await result(body)).toEqual(expected)
    })
  }
  it('leaves the host realm unpolluted afterwards', () => {
    expect(({} as any).polluted).toBeUndefined()
    expect(typeof [].push).toBe('function')
  })
})

// Resource attacks get a generous CPU limit, so a loaded machine cannot make the CPU limit fire before the one tested.
const ROOMY = { cpuMs: 60_000, memoryBytes: 64 * 1024 * 1024 }
const REFUSED: [string, string, RegExp, Record<string, number>?][] = [
  ['require', "const fs = require('fs')", /ReferenceError: 'require' is not defined/],
  ['process.env', 'return process.env.HOME', /ReferenceError: 'process' is not defined/],
  ['Atomics.wait to block the thread', 'return Atomics.wait(new Int32Array(4), 0, 0, 1000)', /ReferenceError: 'Atomics' is not defined/],
  ['Date.now() (nondeterminism)', 'return Date.now()', /Date\.now\(\) is disabled in workflow scripts: resume replays the script/],
  ['the original Date through a prototype', 'return new (Object.getPrototypeOf(new Date(0)).constructor)().getTime()', /new Date\(\) without arguments is disabled/],
  ['Date.now through a prototype', 'return Object.getPrototypeOf(new Date(0)).constructor.now()', /Date\.now\(\) is disabled/],
  ['Math.random through an alias', 'const r = Math.random; return (0, r)()', /Math\.random\(\) is disabled/],
  ['endless loop', 'for (;;) {}', /ran for more than 1500 ms without awaiting \(an endless loop\?\)/],
  ['endless loop inside a getter of a thrown object', 'throw { get message() { for (;;) {} } }', /without awaiting \(an endless loop\?\)/],
  ['endless loop inside a Proxy passed as agent options', "return await agent('x', new Proxy({}, { get() { for (;;) {} }, ownKeys() { for (;;) {} } }))", /without awaiting/],
  ['memory bomb of small objects', "const a = []\nfor (;;) a.push({ n: a.length, s: 'item' })", /more memory than its 64 MB limit/, ROOMY],
  ['a huge string', "return 'x'.repeat(2 ** 30).length", /RangeError: invalid string length|more memory than its 64 MB limit/, ROOMY],
  ['unbounded recursion', 'function f() { return f() }\nreturn f()', /stack overflow|ran out of stack/, ROOMY],
  ['a promise that can never settle', 'await new Promise(() => {})', /can never finish/],
  ['an oversized result', "return 'y'.repeat(20_000_000)", /over the 10240 KB limit/, ROOMY],
  ['an oversized result through toJSON', "return { toJSON() { return 'y'.repeat(20_000_000) } }", /over the 10240 KB limit/, ROOMY],
  ['a result that is not JSON', 'return 10n', /not JSON-serialisable/],
  ['nested sub-workflows', "return await workflow('w', 1)", /workflow\(\) cannot be called inside a sub-workflow: sub-workflows run one level deep/],
]

describe('refusals, each with its exact message', () => {
  for (const [name, body, message, limits] of REFUSED) {
    it(name, async () => {
      expect(await refusal(body, limits)).toMatch(message)
    })
  }
  it('lives on after all of them', async () => {
    expect(await result("return await agent('still here')")).toBe('done: still here')
  })
})

describe('refused before running (meta and module syntax)', () => {
  it.each([
    ["import fs from 'fs'\n", /import/],
    ["const m = await import('fs')\n", /import/],
    ['export const other = 1\n', /Only `export const meta`|export/],
  ])('%s', (body, message) => {
    expect(() => parseScript(META + body)).toThrow(message)
  })
  it('meta that runs code', () => {
    expect(() => parseScript("export const meta = { name: require('x') }\n")).toThrow(/pure literal|literal/)
  })
})

describe('floods through the runtime', () => {
  const dirs: string[] = []
  const project = () => {
    const d = mkdtempSync(join(tmpdir(), 'ocdw-attack-'))
    dirs.push(d)
    return d
  }
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('an agent flood stops at the cap: agent() throws (null in parallel) and the log says why once', async () => {
    const executor = createInstantExecutor()
    const run = await startRun({
      projectDir: project(),
      script: META + "const xs = await parallel(Array.from({ length: 3000 }, (_, i) => () => agent('flood ' + i)))\nreturn xs.filter((x) => x === null).length",
      executor,
      maxAgents: 50,
      control: false,
    })
    const s = await run.done
    expect(s.result).toBe(2950)
    expect(executor.calls).toBe(50)
    expect(run.view().log.filter((l) => /cap of 50 agents.*--max-agents/.test(l.message))).toHaveLength(1)
  })

  it('a log flood is cut off, so the journal stays small', async () => {
    const run = await startRun({ projectDir: project(), script: META + "for (let i = 0; i < 50000; i++) log('line ' + i)\nreturn 1", executor: createInstantExecutor(), control: false })
    const s = await run.done
    expect(s.status).toBe('completed')
    const journal = readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8')
    expect(journal.split('\n').filter((l) => l.includes('"t":"log"')).length).toBeLessThanOrEqual(10_001)
    expect(journal).toMatch(/log\(\) was called more than 10,000 times; later lines are dropped/)
  })

  it('a giant prompt does not reach the model', async () => {
    const executor = createInstantExecutor()
    const run = await startRun({ projectDir: project(), script: META + "return await agent('z'.repeat(2_000_000))", executor, control: false })
    const s = await run.done
    expect(s.result).toBeNull()
    expect(executor.calls).toBe(0)
    expect(run.view().log.some((l) => /over the 1M limit.*file paths/.test(l.message))).toBe(true)
  })
})
