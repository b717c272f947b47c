// The QuickJS script sandbox against the in-process backend: the globals' semantics (README "A workflow script", docs/PARITY.md), the limits
// (CPU, memory, stack: the run fails clearly and this test process lives on), error locations, and stop.
import { describe, expect, it } from 'vitest'
import type { AgentCall } from '../../src/machines/types.js'
import { createInProcessBackend } from '../../src/script/in-process-backend.js'
import { runScript } from '../../src/script/sandbox.js'

const META = "export const meta = { name: 't', phases: [{ title: 'First' }, { title: 'Second' }] }\n"
const run = (body: string, backend = createInProcessBackend(), extra: Partial<Parameters<typeof runScript>[1]> = {}) =>
  runScript(META + body, { backend, ...extra })

async function completed(body: string, backend = createInProcessBackend(), extra: Partial<Parameters<typeof runScript>[1]> = {}) {
  const r = await run(body, backend, extra)
  if (r.status !== 'completed') throw new Error(`expected completed, got ${JSON.stringify(r)}`)
  return r.result as any
}
async function failed(body: string, backend = createInProcessBackend(), extra: Partial<Parameters<typeof runScript>[1]> = {}) {
  const r = await run(body, backend, extra)
  if (r.status !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(r)}`)
  return r.error
}

describe('runScript basics', () => {
  it('runs top-level await and return, crossing values as JSON', async () => {
    const b = createInProcessBackend((c) => ({ echo: c.prompt, n: 1 }))
    expect(await completed("const a = await agent('hello', { label: 'l', schema: { type: 'object' } })\nreturn { a, args }", b, { args: { x: [1, 2] } })).toEqual({
      a: { echo: 'hello', n: 1 },
      args: { x: [1, 2] },
    })
    expect(b.calls[0]).toMatchObject({ prompt: 'hello', phase: 'First', opts: { label: 'l', schema: { type: 'object' } } })
    expect(b.calls[0].key).toMatch(/^[0-9a-f]{16}-0$/)
    expect(await completed('return args')).toBeNull()
  })

  it('tracks phases: meta default, phase(), opts.phase override', async () => {
    const b = createInProcessBackend()
    await completed("await agent('a')\nphase('Second')\nawait agent('b')\nawait agent('c', { phase: 'First' })", b)
    expect(b.calls.map((c) => c.phase)).toEqual(['First', 'Second', 'First'])
    expect(b.phases).toEqual(['Second'])
    const b2 = createInProcessBackend()
    await runScript("export const meta = { name: 'np' }\nawait agent('x')", { backend: b2 })
    expect(b2.calls[0].phase).toBe('Main')
  })

  it('fans out 100 agents through parallel and through pipeline', async () => {
    const b = createInProcessBackend((c) => c.prompt.toUpperCase())
    const r = await completed(
      `const items = Array.from({ length: 100 }, (_, i) => 'item' + i)
const par = await parallel(items.map((it) => () => agent('p ' + it)))
const pipe = await pipeline(items, (it) => agent('s1 ' + it), (prev, it, i) => agent(prev + ' s2 ' + i))
return { par, pipe }`,
      b,
    )
    expect(r.par).toHaveLength(100)
    expect(r.par[42]).toBe('P ITEM42')
    expect(r.pipe[7]).toBe('S1 ITEM7 S2 7')
    expect(b.calls).toHaveLength(300)
    expect(new Set(b.calls.map((c) => c.key)).size).toBe(300)
  })

  it('resolves 1,000 concurrent agent calls', async () => {
    let release!: () => void
    const all = new Promise<void>((r) => (release = r))
    let started = 0
    const b = createInProcessBackend(async (c) => {
      if (++started === 1000) release()
      await all // no agent answers before all 1,000 were started: they really are concurrent
      return c.prompt.length
    })
    const r = await completed("const out = await Promise.all(Array.from({ length: 1000 }, (_, i) => agent('n' + i)))\nreturn out.reduce((a, b) => a + b, 0)", b)
    expect(started).toBe(1000)
    expect(r).toBe(Array.from({ length: 1000 }, (_, i) => ('n' + i).length).reduce((a, b) => a + b, 0))
  })

  it('resolves a failed agent to null; parallel/pipeline turn throws into null slots', async () => {
    const b = createInProcessBackend((c) => {
      if (c.prompt.includes('bad')) throw new Error('model down')
      return 'ok'
    })
    const r = await completed(
      `const a = await agent('bad one')
const par = await parallel([() => agent('good'), () => { throw new Error('thunk broke') }, () => agent('bad'), agent('good promise')])
let later = 0
const pipe = await pipeline([1, 2, 3], (x) => { if (x === 2) throw new Error('stage broke'); return x * 10 }, (prev) => { later++; return prev + 1 })
return { a, par, pipe, later }`,
      b,
    )
    expect(r).toEqual({ a: null, par: ['ok', null, null, 'ok'], pipe: [11, null, 31], later: 2 })
    expect(b.logs.some((l) => l.includes('thunk broke'))).toBe(true)
    expect(b.logs.some((l) => l.includes('stage 1') && l.includes('stage broke'))).toBe(true)
  })

  it('supports try/catch and Promise.all in the script', async () => {
    const r = await completed(`let caught
try { JSON.parse('{nope') } catch (e) { caught = e instanceof SyntaxError }
const [x, y] = await Promise.all([agent('x'), agent('y')])
try { await agent(42) } catch (e) { caught = caught && e instanceof TypeError && /prompt as a string/.test(e.message) }
return { caught, x, y }`)
    expect(r).toEqual({ caught: true, x: 'done: x', y: 'done: y' })
  })

  it('validates agent options with a TypeError', async () => {
    expect(await failed("await agent('x', { timeoutMs: 'soon' })")).toMatch(/TypeError: agent\(\) got invalid options \(timeoutMs/)
    expect(await failed("await agent('x', { isolation: 'vm' })")).toMatch(/isolation/)
    const b = createInProcessBackend()
    const r = await run("await agent('x', { label: 'l', temperature: 1 })\nawait agent('y', { temperature: 1 })", b)
    expect(r).toMatchObject({ status: 'completed', warnings: ['agent() option "temperature" is not supported by ocdw and was ignored.'] })
    expect(b.calls[0].opts).toEqual({ label: 'l' })
  })

  it('logs through log() and console.log', async () => {
    const b = createInProcessBackend()
    await completed("log(5)\nconsole.log('a', { b: 1 }, [2])", b)
    expect(b.logs).toEqual(['5', 'a {"b":1} [2]'])
  })

  it('refuses a result that is not JSON-serialisable or too large', async () => {
    expect(await failed('const a = {}; a.a = a; return a')).toMatch(/not JSON-serialisable/)
    expect(await failed("return 'x'.repeat(5000)", undefined, { limits: { maxResultBytes: 1000 } })).toMatch(/over the .* limit/)
  })
})

describe('determinism and isolation', () => {
  it('makes Date.now, new Date() and Math.random throw and say why', async () => {
    for (const expr of ['Date.now()', 'new Date()', 'Math.random()', 'Date()']) {
      const e = await failed(`return ${expr}`)
      expect(e).toMatch(/disabled in workflow scripts: resume replays the script/)
      expect(e).toMatch(/args/)
    }
    expect(await completed("return [new Date(0).toISOString(), new Date('2020-01-02T00:00:00Z').getUTCDate(), Date.UTC(2020, 0, 1), new Date(0) instanceof Date]")).toEqual([
      '1970-01-01T00:00:00.000Z',
      2,
      1577836800000,
      true,
    ])
  })

  it('has no require, process, fetch, setTimeout or host objects', async () => {
    expect(await completed('return [typeof require, typeof process, typeof fetch, typeof setTimeout, typeof host, typeof module]')).toEqual(Array(6).fill('undefined'))
    const e = await failed("\nconst fs = require('fs')")
    expect(e).toMatch(/ReferenceError/)
    expect(e).toMatch(/require/)
    expect(e).toContain('line 3')
  })
})

describe('errors and limits', () => {
  it('reports a thrown error with the script line and column', async () => {
    const e = await failed("await agent('x')\n  throw new Error('boom')")
    expect(e).toMatch(/line 3, column \d+/)
    expect(e).toContain('Error: boom')
    expect(await failed('const o = null\no.x')).toMatch(/line 3, column \d+: TypeError/)
    expect(await failed("throw 'plain'")).toMatch(/not an Error: plain/)
  })

  it('reports syntax errors with line and column', async () => {
    const r = await runScript("export const meta = { name: 'x' }\nlet a = 1\nlet b = (;", { backend: createInProcessBackend() })
    expect(r.status).toBe('failed')
    expect((r as { error: string }).error).toMatch(/syntax error.*line 3, column 10|line 3, column 10.*syntax error/)
  })

  it('ends an endless loop with a clear error and keeps working', async () => {
    const e = await failed("await agent('x')\nwhile (true) {}", undefined, { limits: { cpuMs: 300 } })
    expect(e).toMatch(/ran too long without awaiting/)
    expect(e).toMatch(/limits\.cpuMs/)
    const e2 = await failed('let i = 0\nfor (;;) { i++ }', undefined, { limits: { cpuMs: 60_000, sliceMs: 200 } })
    expect(e2).toMatch(/without awaiting/)
    expect(await completed('return 1 + 1')).toBe(2)
  })

  it('ends a memory bomb with a clear error and keeps working', async () => {
    const e = await failed("const a = []\nfor (;;) a.push([a.length, 'item', { n: a.length }])", undefined, { limits: { memoryBytes: 48 * 1024 * 1024 } })
    expect(e).toMatch(/more memory than its 48 MB limit/)
    expect(e).toMatch(/limits\.memoryBytes/)
    expect(await completed('return [1, 2].length')).toBe(2)
  })

  it('ends deep recursion clearly, including inside native JSON', async () => {
    expect(await failed('function f() { return f() }\nf()')).toMatch(/stack overflow|ran out of stack/)
    expect(await failed('let o = {}; let c = o\nfor (let i = 0; i < 200000; i++) { c.a = {}; c = c.a }\nreturn JSON.stringify(o).length')).toMatch(
      /stack|recurs/i,
    )
    expect(await completed("return 'alive'")).toBe('alive')
  })

  it('fails a script that awaits something that can never settle', async () => {
    expect(await failed('await new Promise(() => {})')).toMatch(/can never finish/)
  })

  it('stops when the signal aborts, abandoning pending agents', async () => {
    const ctl = new AbortController()
    const b = createInProcessBackend((c) => {
      if (c.prompt === 'slow') ctl.abort()
      return new Promise(() => {}) // never answers
    })
    const r = await run("await parallel([() => agent('a'), () => agent('slow')])\nreturn 'not reached'", b, { signal: ctl.signal })
    expect(r).toEqual({ status: 'stopped' })
    expect(b.calls).toHaveLength(2)
    const pre = new AbortController()
    pre.abort()
    expect(await run('return 1', createInProcessBackend(), { signal: pre.signal })).toEqual({ status: 'stopped' })
    // Stopped while the isolate is being created (runScript awaits it): the script never starts, no agent runs.
    const during = new AbortController()
    const b2 = createInProcessBackend()
    const starting = run("await agent('a')\nreturn 'ran'", b2, { signal: during.signal })
    during.abort()
    expect(await starting).toEqual({ status: 'stopped' })
    expect(b2.calls).toHaveLength(0)
  })
})

describe('budget and workflow()', () => {
  it('exposes budget total, spent and remaining', async () => {
    const b = createInProcessBackend(undefined, { budget: 100, tokensPerAgent: 40 })
    const r = await completed(
      "const before = [budget.total, budget.spent(), budget.remaining()]\nawait agent('a'); await agent('b')\nconst mid = budget.remaining()\nconst c = await agent('c'); const d = await agent('d').catch((e) => 'threw')\nreturn { before, mid, c, d, after: budget.remaining() }",
      b,
    )
    expect(r).toEqual({ before: [100, 0, 100], mid: 20, c: 'done: c', d: 'threw', after: 0 })
    expect(await completed('return [budget.total, budget.remaining() === Infinity]')).toEqual([null, true])
  })

  it('runs a saved workflow inline, one level deep, with its own args', async () => {
    const sources: Record<string, string> = {
      child: "export const meta = { name: 'child' }\nconst r = await agent('child got ' + args.topic)\nreturn { r, topic: args.topic }",
      nested: "export const meta = { name: 'nested' }\nreturn await workflow('child', { topic: 'x' })",
      broken: "export const meta = { name: 'broken' }\nawait agent('ok')\n\n  null.boom",
    }
    const resolveWorkflow = async (name: string) => {
      if (!sources[name]) throw new Error(`There is no workflow named "${name}"; run \`ocdw ls\` to see the saved ones.`)
      return { name, source: sources[name] }
    }
    const b = createInProcessBackend()
    const r = await completed("const out = await workflow('child', { topic: 'cats' })\nreturn { out, args }", b, { resolveWorkflow, args: 'top' })
    expect(r).toEqual({ out: { r: 'done: child got cats', topic: 'cats' }, args: 'top' })
    expect(b.calls.map((c) => c.prompt)).toEqual(['child got cats'])
    expect(await failed("await workflow('nested')", undefined, { resolveWorkflow })).toMatch(/one level deep/)
    expect(await failed("await workflow('missing')", undefined, { resolveWorkflow })).toMatch(/no workflow named "missing"/)
    expect(await failed("await workflow('broken')", undefined, { resolveWorkflow })).toMatch(/line 4, column \d+ of workflow "broken"/)
    expect(await failed("await workflow('child', {})")).toMatch(/not available in this run/)
  })
})

describe('standard library', () => {
  it('vote: majority, critic tiebreak, plurality without a critic', async () => {
    const answers = ['Paris', ' paris', 'Lyon']
    let i = 0
    const b = createInProcessBackend((c) => (c.opts.label?.includes('critic') ? { choice: 0 } : { answer: answers[i++ % 3] }))
    expect(await completed("return await vote('Capital of France?')", b)).toEqual({ answer: 'Paris', votes: ['Paris', ' paris', 'Lyon'], decidedBy: 'majority' })
    expect(new Set(b.calls.map((c) => c.key)).size).toBe(3)

    const split = ['A', 'B']
    let j = 0
    const b2 = createInProcessBackend((c: AgentCall) => (c.opts.label?.includes('critic') ? { choice: 1 } : { answer: split[j++ % 2] }))
    expect(await completed("return await vote('Which?', { voters: 2 })", b2)).toMatchObject({ answer: 'B', decidedBy: 'critic' })
    let k = 0
    const b3 = createInProcessBackend(() => ({ answer: split[k++ % 2] }))
    expect(await completed("return await vote('Which?', { voters: 2, critic: false })", b3)).toMatchObject({ answer: 'A', decidedBy: 'plurality' })
    expect(b3.calls).toHaveLength(2)
  })

  it('review: keeps the findings the refuters could not refute, over rounds', async () => {
    const b = createInProcessBackend((c) => ({ refuted: c.prompt.includes('false claim') || (c.opts.label?.includes('r2') === true && c.prompt.includes('weak')), reason: 'checked' }))
    const r = await completed("return await review(['true claim', 'false claim', { claim: 'weak claim' }], { rounds: 2 })", b)
    expect(r).toEqual(['true claim'])
    expect(b.calls).toHaveLength(3 + 2)
  })

  it('gate: runs the command through the backend', async () => {
    const b = createInProcessBackend(undefined, { gate: (cmd) => ({ ok: cmd === 'npm test', exitCode: cmd === 'npm test' ? 0 : 1, output: 'ran ' + cmd }) })
    expect(await completed("return [await gate('npm test', { timeoutMs: 1000 }), (await gate('false')).ok]", b)).toEqual([{ ok: true, exitCode: 0, output: 'ran npm test' }, false])
    expect(b.gates).toEqual(['npm test', 'false'])
  })
})

describe('a Claude-Code-style script (README "A workflow script", docs/PARITY.md)', () => {
  it('runs unmodified', async () => {
    const source = `export const meta = {
  name: 'migrate-tests',
  description: 'Port every test file to vitest',
  phases: [{ title: 'Survey' }, { title: 'Port' }, { title: 'Verify' }],
}
const FILES = { type: 'object', properties: { paths: { type: 'array', items: { type: 'string' } } }, required: ['paths'] }
const VERDICT = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }
phase('Survey')
const files = await agent('List the test files as JSON', { schema: FILES, label: 'survey' })
phase('Port')
const ported = await pipeline(files.paths,
  (path) => agent(\`Port \${path} to vitest\`, { label: path, phase: 'Port' }),
  (out, path) => out && agent(\`Review the port of \${path}: \${out}\`, { phase: 'Verify', schema: VERDICT }))
return { ported: ported.filter(Boolean).length }
`
    const b = createInProcessBackend((c) => {
      if (c.opts.label === 'survey') return { paths: ['a.test.js', 'b.test.js', 'c.test.js'] }
      if (c.phase === 'Port') return c.prompt.includes('b.test.js') ? Promise.reject(new Error('agent failed')) : 'ported'
      return { ok: true }
    })
    const r = await runScript(source, { backend: b })
    expect(r).toEqual({ status: 'completed', result: { ported: 2 }, warnings: [] })
    expect(b.calls.map((c) => c.phase)).toEqual(['Survey', 'Port', 'Port', 'Port', 'Verify', 'Verify'])
    expect(b.phases).toEqual(['Survey', 'Port'])
  })
})
