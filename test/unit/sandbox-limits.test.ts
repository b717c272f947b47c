// Sandbox resource limits an attacker's script meets (issue 12.7): binary buffers count against the memory limit,
// a flood of waiting calls, values nested too deep, huge error texts and NUL characters all end with a sentence (or
// cross intact), and this host process stays up with bounded memory.
import { describe, expect, it, vi } from 'vitest'
import { createInProcessBackend } from '../../src/script/in-process-backend.js'
import { MAX_PENDING, runScript } from '../../src/script/sandbox.js'
import { MAX_TEXT } from '../../src/script/limits.js'

const META = "export const meta = { name: 't' }\n"
const MB = 1024 * 1024
const ROOMY = { cpuMs: 120_000, memoryBytes: 64 * MB }
const run = (body: string, o: Partial<Parameters<typeof runScript>[1]> = {}) => runScript(META + body, { backend: createInProcessBackend(), limits: ROOMY, ...o })
const deep = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n))

describe('binary memory counts against the limit', () => {
  it.each([
    ['ArrayBuffer', 'new ArrayBuffer(16 * 1024 * 1024)'],
    ['Float64Array', 'new Float64Array(2 * 1024 * 1024)'],
    ['ArrayBuffer.prototype.slice', 'big.slice(0)'],
    ['Uint8Array.from', 'Uint8Array.from({ length: 16 * 1024 * 1024 })'],
  ])('100 x 16 MB through %s under a 64 MB limit fails cleanly and the host stays small', async (_, alloc) => {
    const before = process.memoryUsage().rss
    const r = await run(`const big = new Uint8Array(16 * 1024 * 1024).buffer\nconst k = []\nfor (let i = 0; i < 100; i++) k.push(${alloc})\nreturn k.length`)
    expect(r).toMatchObject({ status: 'failed', error: expect.stringMatching(/more memory than its 64 MB limit/) })
    // Unbounded, this took the host past 1.6 GB.
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * MB)
  }, 120_000)

  it('small buffers and typed arrays still behave as usual', async () => {
    const r = await run(
      "const k = []\nfor (let i = 0; i < 20000; i++) k.push(new Uint8Array(8))\nconst v = new Uint8Array(new ArrayBuffer(8), 2, 4)\nclass B extends ArrayBuffer {}\n" +
        'return [k.length, v.length, new B(4) instanceof ArrayBuffer, Uint8Array.from([1, 2, 3]).map((x) => x * 2).join(), ArrayBuffer.isView(v), ArrayBuffer.name, new Uint8Array(2).constructor === Uint8Array]',
    )
    expect(r).toEqual({ status: 'completed', result: [20000, 4, true, '2,4,6', true, 'ArrayBuffer', true], warnings: [] })
  }, 60_000)
})

describe('floods and deep values', () => {
  it('30,000 waiting agent() calls stop with a limit sentence, and the next run works', async () => {
    const r = await run("const ps = []\nfor (let i = 0; i < 30000; i++) ps.push(agent('x' + i))\nreturn (await Promise.all(ps)).length")
    expect(r).toMatchObject({ status: 'failed', error: expect.stringMatching(new RegExp(`more than ${MAX_PENDING.toLocaleString('en-US')} agent\\(\\).*waiting at once.*batches`)) })
    expect(await run("return await agent('after')")).toMatchObject({ status: 'completed', result: 'done: after' })
  }, 120_000)

  it('refuses a result, args or agent options nested more than 1,000 deep with a sentence', async () => {
    expect(await run("let o = {}, c = o\nfor (let i = 0; i < 1500; i++) { c.a = {}; c = c.a }\nreturn o")).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/result nests more than 1000 levels deep.*flatten/),
    })
    expect(await run('return 1', { args: deep(5000) })).toMatchObject({ status: 'failed', error: expect.stringMatching(/args nest more than 1000 levels deep/) })
    const r = await run("let s = {}, c = s\nfor (let i = 0; i < 1500; i++) { c.a = {}; c = c.a }\ntry { await agent('x', { schema: s }) } catch (e) { return e.message }")
    expect(r).toMatchObject({ status: 'completed', result: expect.stringMatching(/agent\(\) options nests more than 1000 levels deep/) })
  })

  it('gives the script null (and a log line) for an agent result nested too deep', async () => {
    const backend = createInProcessBackend(() => deep(5000))
    const r = await runScript(META + "return await agent('deep')", { backend, limits: ROOMY })
    expect(r).toMatchObject({ status: 'completed', result: null })
    expect(backend.logs.some((l) => /nests more than 1000 levels deep.*null instead/.test(l))).toBe(true)
  })

  it('cuts a huge error message and a huge log line to 64 KiB', async () => {
    const r = await run("throw new Error('e'.repeat(20_000_000))", { limits: { cpuMs: 120_000 } })
    expect(r.status).toBe('failed')
    const error = (r as { error: string }).error
    expect(error.length).toBeLessThan(MAX_TEXT + 500)
    expect(error).toMatch(/more characters cut/)
    const backend = createInProcessBackend()
    await runScript(META + "log('l'.repeat(5_000_000))\nreturn 1", { backend, limits: ROOMY })
    expect(backend.logs[0].length).toBeLessThan(MAX_TEXT + 100)
  }, 120_000)

  it('keeps NUL characters in prompts, phases and logs', async () => {
    const backend = createInProcessBackend()
    const r = await runScript(META + "log('a\\u0000b')\nphase('p\\u0000q')\nreturn await agent('x\\u0000y')", { backend, limits: ROOMY })
    expect(r).toMatchObject({ status: 'completed', result: 'done: x\u0000y' })
    expect(backend.calls[0]).toMatchObject({ prompt: 'x\u0000y', phase: 'p\u0000q' })
    expect(backend.logs).toContain('a\u0000b')
  })

  it('frees runs without QuickJS assertion noise on stderr (large strings through JSON in a promise job)', async () => {
    const spy = vi.spyOn(process.stderr, 'write')
    const err = vi.spyOn(console, 'error')
    try {
      const r = await run("const v = await agent('x')\nreturn JSON.stringify({ v: v + 'y'.repeat(5_000_000) }).length", { limits: { cpuMs: 120_000 } })
      expect(r.status).toBe('completed')
      const printed = [...spy.mock.calls, ...err.mock.calls].map((c) => String(c[0])).join('\n')
      expect(printed).not.toMatch(/Assertion failed|gc_obj_list/)
    } finally {
      spy.mockRestore()
      err.mockRestore()
    }
  }, 60_000)
})

describe('huge agent errors through the runtime', () => {
  it('are cut to 64 KiB before the journal, the view and the agent file', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { startRun } = await import('../../src/actors/runtime.js')
    const { createInstantExecutor } = await import('../../src/actors/instant-executor.js')
    const projectDir = mkdtempSync(join(tmpdir(), 'ocdw-bigerr-'))
    try {
      const executor = createInstantExecutor({ respond: () => { throw new Error('boom '.repeat(2_000_000)) } })
      const run = await startRun({ projectDir, script: META + "return await agent('x')", executor, control: false })
      const s = await run.done
      expect(s.status).toBe('completed')
      const journal = readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8')
      expect(journal).toMatch(/more characters cut/)
      expect(journal.length).toBeLessThan(1024 * 1024)
      expect(readFileSync(join(run.runDir, 'agents.jsonl'), 'utf8').length).toBeLessThan(1024 * 1024)
    } finally {
      rmSync(projectDir, { recursive: true, force: true })
    }
  }, 120_000)
})
