// The offline model over HTTP: streaming and plain completions with usage, rules (text, json, tools, fail),
// StructuredOutput filled to satisfy its schema, deterministic failure injection, the request log, bad rules files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { loadRulesFile, startOfflineModel, type OfflineModel } from '../../src/offline/index.js'

const dir = mkdtempSync(join(tmpdir(), 'ocdw-offline-test-'))
const logFile = join(dir, 'requests.log')
let model: OfflineModel

const rules = [
  { match: 'say hello', reply: { text: 'Hello from the rule.' } },
  { match: 'give json', reply: { json: { ok: true, n: 3 } } },
  { match: 'write a file', reply: { tools: [{ name: 'write', args: { filePath: 'a.txt', content: 'A' } }] } },
  { match: 'explode', fail: 429 as const },
  { match: 'only in review', matchSystem: 'reviewer', reply: { text: 'reviewed' } },
]

beforeAll(async () => {
  model = await startOfflineModel({ rules, logFile })
})
afterAll(async () => {
  await model?.stop()
  rmSync(dir, { recursive: true, force: true })
})

type Msg = { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }
async function chat(body: Record<string, unknown>, url = model.url): Promise<Response> {
  return fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'offline', ...body }) })
}
function user(text: string): Msg[] {
  return [{ role: 'system', content: 'You are a helpful agent.' }, { role: 'user', content: [{ type: 'text', text }] }]
}
const writeTool = { type: 'function', function: { name: 'write', parameters: { type: 'object', properties: { filePath: { type: 'string' } } } } }

/** Parses an SSE body into its JSON chunks; checks it ends with [DONE]. */
async function sse(res: Response): Promise<any[]> {
  const text = await res.text()
  const events = text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''))
  expect(events.at(-1)).toBe('[DONE]')
  return events.slice(0, -1).map((e) => JSON.parse(e))
}

describe('offline model HTTP', () => {
  it('lists the offline model', async () => {
    const res = await fetch(`${model.url}/models`)
    expect(model.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    expect((await res.json()).data.map((m: { id: string }) => m.id)).toEqual(['offline'])
  })

  it('answers a rule with text, plain JSON with usage', async () => {
    const res = await chat({ messages: user('please say hello'), stream: false })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.choices[0].message.content).toBe('Hello from the rule.')
    expect(body.choices[0].finish_reason).toBe('stop')
    expect(body.usage.prompt_tokens).toBeGreaterThan(0)
    expect(body.usage.completion_tokens).toBeGreaterThan(0)
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens)
  })

  it('streams text chunks, a finish chunk and a final usage chunk, then [DONE]', async () => {
    const res = await chat({ messages: user('please say hello'), stream: true })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const chunks = await sse(res)
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')
    expect(text).toBe('Hello from the rule.')
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true)
    const last = chunks.at(-1)
    expect(last.choices).toEqual([])
    expect(last.usage.prompt_tokens).toBeGreaterThan(0)
    expect(last.usage.completion_tokens).toBeGreaterThan(0)
  })

  it('gives the same deterministic reply to the same prompt with no rule, and different ones to different prompts', async () => {
    const a = await (await chat({ messages: user('what is the weather on mars') })).json()
    const b = await (await chat({ messages: user('what is the weather on mars') })).json()
    const c = await (await chat({ messages: user('something else entirely') })).json()
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content)
    expect(a.choices[0].message.content).not.toBe(c.choices[0].message.content)
    expect(a.usage).toEqual(b.usage)
  })

  it('replies with a JSON value as text when no StructuredOutput tool is offered', async () => {
    const body = await (await chat({ messages: user('give json now') })).json()
    expect(JSON.parse(body.choices[0].message.content)).toEqual({ ok: true, n: 3 })
  })

  it('streams tool_calls deltas for a tools rule, then finishes with text after the tool result', async () => {
    const chunks = await sse(await chat({ messages: user('write a file please'), tools: [writeTool], stream: true }))
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'write' } })
    const args = deltas.map((d: any) => d.function?.arguments ?? '').join('')
    expect(JSON.parse(args)).toEqual({ filePath: 'a.txt', content: 'A' })
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true)

    const id = deltas[0].id
    const followUp: Msg[] = [
      ...user('write a file please'),
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'write', arguments: args } }] },
      { role: 'tool', tool_call_id: id, content: 'Wrote file successfully.' },
    ]
    const done = await (await chat({ messages: followUp, tools: [writeTool] })).json()
    expect(done.choices[0].message.tool_calls).toBeUndefined()
    expect(done.choices[0].message.content).toMatch(/^done: write/)
  })

  it('returns tool calls in a plain JSON completion too', async () => {
    const body = await (await chat({ messages: user('write a file please'), tools: [writeTool] })).json()
    expect(body.choices[0].finish_reason).toBe('tool_calls')
    expect(body.choices[0].message.tool_calls[0].function.name).toBe('write')
  })

  it('applies matchSystem only when the system prompt matches', async () => {
    const plain = await (await chat({ messages: user('only in review') })).json()
    expect(plain.choices[0].message.content).not.toBe('reviewed')
    const review = await (await chat({ messages: [{ role: 'system', content: 'You are a reviewer.' }, { role: 'user', content: 'only in review' }] })).json()
    expect(review.choices[0].message.content).toBe('reviewed')
  })

  it('fills the StructuredOutput tool with an object that satisfies its schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 5, maxLength: 40 },
        score: { type: 'integer', minimum: 1, maximum: 10 },
        ratio: { type: 'number', minimum: 0, maximum: 1 },
        verdict: { type: 'string', enum: ['accept', 'reject', 'revise'] },
        done: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 4 },
        findings: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            properties: { file: { type: 'string' }, line: { type: 'integer', minimum: 1 }, severity: { enum: ['low', 'high'] } },
            required: ['file', 'line', 'severity'],
            additionalProperties: false,
          },
        },
        meta: { type: 'object', properties: { when: { type: 'string', format: 'date-time' }, ref: { $ref: '#/$defs/ref' } }, required: ['when', 'ref'] },
      },
      required: ['title', 'score', 'ratio', 'verdict', 'done', 'tags', 'findings', 'meta'],
      additionalProperties: false,
      $defs: { ref: { type: 'string', format: 'uuid' } },
    }
    const tools = [writeTool, { type: 'function', function: { name: 'StructuredOutput', parameters: schema } }]
    const chunks = await sse(await chat({ messages: user('review the parser module'), tools, tool_choice: 'required', stream: true }))
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])
    expect(deltas[0].function.name).toBe('StructuredOutput')
    const value = JSON.parse(deltas.map((d: any) => d.function?.arguments ?? '').join(''))
    const check = z.fromJSONSchema(schema as never).safeParse(value)
    expect(check.error).toBeUndefined()
    expect(value.tags).toHaveLength(3)
    expect(JSON.stringify(value)).toContain('review the parser module')

    const again = await (await chat({ messages: user('review the parser module'), tools, tool_choice: 'required' })).json()
    expect(JSON.parse(again.choices[0].message.tool_calls[0].function.arguments)).toEqual(value)
  })

  it('uses a json rule as the StructuredOutput arguments', async () => {
    const tools = [{ type: 'function', function: { name: 'StructuredOutput', parameters: { type: 'object' } } }]
    const body = await (await chat({ messages: user('give json'), tools, tool_choice: 'required' })).json()
    const call = body.choices[0].message.tool_calls[0]
    expect(call.function.name).toBe('StructuredOutput')
    expect(JSON.parse(call.function.arguments)).toEqual({ ok: true, n: 3 })
  })

  it('gives title requests a short title', async () => {
    const messages = [
      { role: 'system', content: 'You are a title generator. You output ONLY a thread title.' },
      { role: 'user', content: 'Generate a title for this conversation:\n' },
      { role: 'user', content: 'fix the flaky login test in the auth service please' },
    ]
    const body = await (await chat({ messages })).json()
    const title = body.choices[0].message.content as string
    expect(title.split(' ').length).toBeLessThanOrEqual(6)
    expect(title).toBe('Fix the flaky login test in')
  })

  it('answers a fail rule with the OpenAI error body and status', async () => {
    const res = await chat({ messages: user('explode now') })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after-ms')).toBeTruthy()
    const body = await res.json()
    expect(body.error.type).toBe('rate_limit_exceeded')
    expect(body.error.message).toMatch(/offline model/)
  })

  it('writes one log line per request with kind, tools and status', () => {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.length).toBe(model.stats.requests)
    const kinds = lines.map((l) => l.kind)
    for (const k of ['text', 'json', 'tools', 'structured', 'title', 'fail']) expect(kinds).toContain(k)
    const structured = lines.find((l) => l.kind === 'structured')
    expect(structured.tools).toContain('StructuredOutput')
    expect(structured.lastUser).toBe('review the parser module')
    expect(lines.find((l) => l.kind === 'fail').status).toBe(429)
    for (const l of lines) expect(Number.isNaN(Date.parse(l.at))).toBe(false)
  })
})

describe('offline model failure injection and configuration', () => {
  async function outcomes(seed: number): Promise<number[]> {
    const m = await startOfflineModel({ rules: [], failureRate: 0.5, seed })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 20; i++) statuses.push((await chat({ messages: user(`prompt number ${i}`) }, m.url)).status)
      return statuses
    } finally {
      await m.stop()
    }
  }

  it('fails a deterministic share of requests for a given seed', async () => {
    const a = await outcomes(7)
    const b = await outcomes(7)
    const c = await outcomes(8)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    const failed = a.filter((s) => s !== 200)
    expect(failed.length).toBeGreaterThan(2)
    expect(failed.length).toBeLessThan(18)
    for (const s of failed) expect([500, 429]).toContain(s)
  })

  it('reads OCDW_OFFLINE_RULES and OCDW_OFFLINE_LOG when no options are given', async () => {
    const rulesFile = join(dir, 'env-rules.json')
    const envLog = join(dir, 'env.log')
    writeFileSync(rulesFile, JSON.stringify({ rules: [{ match: 'ping', reply: { text: 'pong' } }] }))
    process.env.OCDW_OFFLINE_RULES = rulesFile
    process.env.OCDW_OFFLINE_LOG = envLog
    const m = await startOfflineModel()
    try {
      const body = await (await chat({ messages: user('ping') }, m.url)).json()
      expect(body.choices[0].message.content).toBe('pong')
      expect(JSON.parse(readFileSync(envLog, 'utf8').trim())).toMatchObject({ lastUser: 'ping', kind: 'text', status: 200 })
    } finally {
      delete process.env.OCDW_OFFLINE_RULES
      delete process.env.OCDW_OFFLINE_LOG
      await m.stop()
    }
  })

  it('explains a missing rules file, bad JSON and a bad rule in one sentence naming the file', () => {
    const missing = join(dir, 'missing.json')
    expect(() => loadRulesFile(missing)).toThrow(`The offline model rules file ${missing} does not exist`)
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{ not json')
    expect(() => loadRulesFile(bad)).toThrow(new RegExp(`rules file ${bad} is not valid JSON`))
    const badRule = join(dir, 'bad-rule.json')
    writeFileSync(badRule, JSON.stringify({ rules: [{ match: '(', reply: { text: 'x' } }] }))
    expect(() => loadRulesFile(badRule)).toThrow(/invalid at rules\.0\.match: is not a valid regular expression/)
  })

  it('refuses a port in use with a message naming the port', async () => {
    await expect(startOfflineModel({ port: model.port })).rejects.toThrow(`Port ${model.port} on 127.0.0.1 is already in use`)
  })
})
