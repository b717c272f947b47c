// The offline test bed against the REAL `opencode serve` (one server for this file): a rule's text comes back with
// token usage, a json_schema prompt yields info.structured, a `write` tool call creates the file, a 500 surfaces as an
// error, the log counts model calls per prompt, and stop() leaves no process behind.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/index.js'

let bed: OfflineTestbed

beforeAll(async () => {
  bed = await startOfflineTestbed({
    rules: [
      { match: 'say hello', reply: { text: 'Hello from the offline model.' } },
      { match: 'create the notes file', reply: { tools: [{ name: 'write', args: { filePath: 'notes/hello.txt', content: 'written by the offline model\n' } }] } },
      { match: 'break the model', fail: 500 },
    ],
  })
})
afterAll(async () => {
  await bed?.stop()
})

async function prompt(text: string, extra: Record<string, unknown> = {}) {
  const session = await bed.client.session.create({ title: `test: ${text}` })
  expect(session.error).toBeUndefined()
  const res = await bed.client.session.prompt({ sessionID: session.data!.id, parts: [{ type: 'text', text }], ...extra })
  expect(res.error).toBeUndefined()
  return res.data!
}

function modelCalls(lastUser: string): { kind: string; lastUser: string }[] {
  return readFileSync(bed.logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.kind !== 'title' && l.lastUser === lastUser)
}

function textOf(parts: { type: string; text?: string }[]): string {
  return parts.filter((p) => p.type === 'text').map((p) => p.text).join('')
}

describe('offline test bed on the real opencode serve', () => {
  it('answers a prompt with the rule text and reports token usage, in one model call', async () => {
    const { info, parts } = await prompt('please say hello')
    expect(textOf(parts)).toBe('Hello from the offline model.')
    expect(info.role).toBe('assistant')
    if (info.role !== 'assistant') return
    expect(`${info.providerID}/${info.modelID}`).toBe(bed.model)
    expect(info.tokens.input).toBeGreaterThan(0)
    expect(info.tokens.output).toBeGreaterThan(0)
    expect(modelCalls('please say hello')).toHaveLength(1)
  })

  it('returns info.structured matching a json_schema format', async () => {
    const schema = {
      type: 'object',
      properties: {
        summary: { type: 'string', minLength: 3 },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
        verdict: { type: 'string', enum: ['pass', 'fail'] },
        items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' } }, required: ['name', 'count'] } },
      },
      required: ['summary', 'confidence', 'verdict', 'items'],
    }
    const { info } = await prompt('summarise the repository', { format: { type: 'json_schema', schema } })
    expect(info.role).toBe('assistant')
    if (info.role !== 'assistant') return
    expect(info.error).toBeUndefined()
    const check = z.fromJSONSchema(schema as never).safeParse(info.structured)
    expect(check.error).toBeUndefined()
    expect((info.structured as { items: unknown[] }).items).toHaveLength(2)
    expect(modelCalls('summarise the repository').map((l) => l.kind)).toEqual(['structured'])
  })

  it('runs a write tool call from a rule: the file appears in the project dir, then the model finishes', async () => {
    const { parts } = await prompt('create the notes file')
    const file = join(bed.projectDir, 'notes', 'hello.txt')
    expect(readFileSync(file, 'utf8')).toBe('written by the offline model\n')
    expect(textOf(parts)).toMatch(/^done: write/)
    expect(modelCalls('create the notes file').map((l) => l.kind)).toEqual(['tools', 'text'])
  })

  it('gives concurrent sessions their own deterministic replies', async () => {
    const texts = ['alpha task', 'beta task', 'gamma task', 'alpha task']
    const replies = await Promise.all(texts.map(async (t) => textOf((await prompt(t)).parts)))
    expect(replies[0]).toBe(replies[3])
    expect(new Set(replies).size).toBe(3)
    for (const r of replies) expect(r).toMatch(/^Offline model reply/)
  })

  it('surfaces a 500 from the model as an error on the message instead of hanging', async () => {
    const { info } = await prompt('break the model')
    expect(info.role).toBe('assistant')
    if (info.role !== 'assistant') return
    expect(info.error?.name).toBe('APIError')
    expect(JSON.stringify(info.error)).toContain('500')
    expect(modelCalls('break the model').every((l) => l.kind === 'fail')).toBe(true)
  })

  it('keeps the OpenCode config out of the project dir, and stop() leaves no process behind', async () => {
    expect(existsSync(join(bed.projectDir, 'opencode.json'))).toBe(false)
    expect(existsSync(join(bed.env.XDG_CONFIG_HOME!, 'opencode', 'opencode.json'))).toBe(true)
    const { pid, url, home } = bed
    await bed.stop()
    expect(() => process.kill(-pid, 0)).toThrow(/ESRCH/)
    await expect(fetch(`${url}/config`)).rejects.toThrow()
    await expect(fetch(`${bed.offline.url}/models`)).rejects.toThrow()
    expect(existsSync(home)).toBe(false)
  })
})
