// Claude Code scripts on the real `opencode serve` + offline model (issue 16): model aliases and Claude's built-in
// agent types get real answers, wrong ones fail at once without retries or sessions, and the script sees Claude's
// budget semantics. One OpenCode also has an `anthropic` provider (served by a second offline model) so the aliases
// resolve to Claude models there; the other has only the offline provider, so they fall back to the default model.
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { createOpencodeExecutor } from '../../src/opencode/executor.js'
import { basicAuthHeader } from '../../src/opencode/server.js'
import { startRun } from '../../src/actors/runtime.js'
import type { RuntimeEvent } from '../../src/machines/types.js'
import { startOfflineModel, type OfflineModel } from '../../src/offline/server.js'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const ANTHROPIC_MODELS = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-1']

/** OpenCode config (OPENCODE_CONFIG_CONTENT) that adds an `anthropic` provider answered by another offline model. */
function anthropicOverlay(baseURL: string): string {
  return JSON.stringify({
    enabled_providers: ['ocdw-offline', 'anthropic'],
    provider: {
      anthropic: {
        npm: '@ai-sdk/openai-compatible',
        // Only these: OpenCode's bundled catalogue would add Claude models that speak Anthropic's own API.
        whitelist: ANTHROPIC_MODELS,
        options: { baseURL, apiKey: 'offline-no-key', includeUsage: true },
        models: Object.fromEntries(ANTHROPIC_MODELS.map((id) => [id, { name: id, tool_call: true, limit: { context: 128000, output: 8192 } }])),
      },
    },
  })
}

async function runScript(bed: OfflineTestbed, script: string, extra: { budget?: number } = {}) {
  const executor = createOpencodeExecutor({ client: bed.client, directory: bed.projectDir, defaultModel: bed.model, retries: 3, backoffMs: 50 })
  const events: RuntimeEvent[] = []
  try {
    const run = await startRun({ projectDir: bed.projectDir, script, executor, control: false, budget: extra.budget })
    run.events.subscribe((e) => events.push(e))
    const summary = await run.done
    return { summary, events, view: run.view() }
  } finally {
    executor.close()
  }
}

async function sessionIds(bed: OfflineTestbed): Promise<string[]> {
  const res = await bed.client.session.list({ directory: bed.projectDir })
  return ((res.data ?? []) as any[]).map((s) => s.id)
}

/** The provider/model and agent OpenCode really used for an agent's session (its assistant message). */
async function usedBy(bed: OfflineTestbed, sessionID: string): Promise<{ model: string; agent: string }> {
  const msgs = ((await bed.client.session.messages({ sessionID, directory: bed.projectDir })).data ?? []) as any[]
  const info = msgs.map((m) => m.info).find((i) => i.role === 'assistant')
  return { model: `${info.providerID}/${info.modelID}`, agent: info.agent ?? info.mode }
}

describe('Claude Code scripts on OpenCode with an Anthropic provider', () => {
  let claude: OfflineModel
  let bed: OfflineTestbed
  beforeAll(async () => {
    claude = await startOfflineModel({})
    bed = await startOfflineTestbed({ env: { OPENCODE_CONFIG_CONTENT: anthropicOverlay(claude.url) } })
  }, 120_000)
  afterAll(async () => {
    await bed?.stop()
    await claude?.stop()
  })

  it('P-MODEL-1 tiered aliases (haiku, sonnet, opus, a full Claude name) run on the matching Claude models and answer', async () => {
    const script = `export const meta = { name: 'tiered' }
const [cheap, mid, deep] = await parallel([
  () => agent('tier haiku: list the files', { model: 'haiku', label: 'cheap' }),
  () => agent('tier sonnet: read them', { model: 'sonnet', label: 'mid' }),
  () => agent('tier opus: synthesise', { model: 'opus', label: 'deep' }),
])
const pinned = await agent('tier pinned', { model: 'claude-sonnet-4-5', label: 'pinned' })
const inherit = await agent('tier inherit', { model: 'inherit', label: 'inherit' })
return { cheap, mid, deep, pinned, inherit }`
    const { summary, view } = await runScript(bed, script)
    expect(summary.status, summary.error).toBe('completed')
    const r = summary.result as Record<string, unknown>
    for (const k of ['cheap', 'mid', 'deep', 'pinned', 'inherit']) expect(typeof r[k], k).toBe('string')
    const session = (label: string) => view.agents.find((a) => a.label === label)!.sessionId!
    expect((await usedBy(bed, session('cheap'))).model).toBe('anthropic/claude-haiku-4-5')
    expect((await usedBy(bed, session('mid'))).model).toBe('anthropic/claude-sonnet-4-5')
    expect((await usedBy(bed, session('deep'))).model).toBe('anthropic/claude-opus-4-1')
    expect((await usedBy(bed, session('pinned'))).model).toBe('anthropic/claude-sonnet-4-5')
    expect((await usedBy(bed, session('inherit'))).model).toBe(bed.model)
    expect(view.log.some((l) => /default model/.test(l.message))).toBe(false)
  }, 240_000)

  it('P-MODEL-2 a project mapping in .opencode/ocdw.json wins over the Anthropic default', async () => {
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(bed.projectDir, '.opencode'), { recursive: true })
    writeFileSync(join(bed.projectDir, '.opencode', 'ocdw.json'), JSON.stringify({ models: { haiku: 'ocdw-offline/offline' } }))
    try {
      const { summary, view } = await runScript(bed, "export const meta = { name: 'mapped' }\nreturn await agent('mapped haiku', { model: 'haiku', label: 'm' })")
      expect(summary.status, summary.error).toBe('completed')
      expect(typeof summary.result).toBe('string')
      expect((await usedBy(bed, view.agents[0]!.sessionId!)).model).toBe('ocdw-offline/offline')
    } finally {
      const { rmSync } = await import('node:fs')
      rmSync(join(bed.projectDir, '.opencode', 'ocdw.json'))
    }
  }, 240_000)
})

describe('Claude Code scripts on OpenCode without an Anthropic provider', () => {
  let bed: OfflineTestbed
  beforeAll(async () => {
    bed = await startOfflineTestbed({})
  }, 120_000)
  afterAll(async () => bed?.stop())

  it("P-MODEL-3 aliases fall back to the run's default model, said once in the log", async () => {
    const script = `export const meta = { name: 'fallback' }
const a = await agent('fallback one', { model: 'haiku' })
const b = await agent('fallback two', { model: 'haiku' })
const c = await agent('fallback three', { model: 'opus' })
return [a, b, c]`
    const { summary, view } = await runScript(bed, script)
    expect(summary.status, summary.error).toBe('completed')
    expect((summary.result as unknown[]).every((x) => typeof x === 'string')).toBe(true)
    const notes = view.log.filter((l) => /runs on the run's default model/.test(l.message))
    expect(notes.map((l) => l.message.match(/model "(\w+)"/)![1])).toEqual(['haiku', 'opus'])
    expect(notes[0]!.message).toContain('ocdw-offline/offline')
    expect(notes[0]!.message).toContain('.opencode/ocdw.json')
  }, 240_000)

  it('P-AGENT-1 Explore, general-purpose and Plan run as explore, general and plan and answer', async () => {
    const script = `export const meta = { name: 'types' }
const out = await parallel([
  () => agent('type explore: where is main', { agentType: 'Explore', label: 'explore' }),
  () => agent('type general: do it', { agentType: 'general-purpose', label: 'general' }),
  () => agent('type plan: plan it', { agentType: 'Plan', label: 'plan' }),
  () => agent('type build: any case', { agentType: 'BUILD', label: 'build' }),
])
return out`
    const { summary, view } = await runScript(bed, script)
    expect(summary.status, summary.error).toBe('completed')
    expect((summary.result as unknown[]).every((x) => typeof x === 'string' && x.length > 0)).toBe(true)
    for (const [label, agent] of [['explore', 'explore'], ['general', 'general'], ['plan', 'plan'], ['build', 'build']]) {
      expect((await usedBy(bed, view.agents.find((a) => a.label === label)!.sessionId!)).agent, label).toBe(agent)
    }
  }, 240_000)

  it('P-AGENT-2 P-MODEL-7 an unknown agent type or model fails that agent at once: a sentence, no retry, no session', async () => {
    const before = await sessionIds(bed)
    const script = `export const meta = { name: 'unknown' }
const t = await agent('unknown type', { agentType: 'statusline-setup', label: 'bad type' })
const m = await agent('unknown model', { model: 'gpt-17', label: 'bad model' })
const p = await agent('unknown provider model', { model: 'nope/never', label: 'bad pair' })
const ok = await agent('still fine', { label: 'ok' })
return { t, m, p, ok }`
    const { summary, events } = await runScript(bed, script)
    expect(summary.status, summary.error).toBe('completed')
    expect(summary.result).toMatchObject({ t: null, m: null, p: null })
    expect(typeof (summary.result as any).ok).toBe('string')
    expect(events.filter((e) => e.type === 'agent.retry')).toEqual([])
    const errors = events.filter((e): e is Extract<RuntimeEvent, { type: 'agent.finished' }> => e.type === 'agent.finished' && e.status === 'failed').map((e) => e.error!)
    expect(errors).toHaveLength(3)
    expect(errors[0]).toMatch(/agent type "statusline-setup" does not exist.*build, explore, general, plan/)
    expect(errors[1]).toMatch(/model "gpt-17" is neither a Claude alias.*ocdw\.json/)
    expect(errors[2]).toMatch(/model "nope\/never" is not offered by this OpenCode server.*ocdw-offline/)
    // Only the good agent made a session.
    const created = (await sessionIds(bed)).filter((id) => !before.includes(id))
    expect(created).toHaveLength(1)
  }, 240_000)

  it('P-NORETRY-1 a prompt OpenCode refuses with a 4xx is not retried and its session is deleted', async () => {
    // A proxy in front of the real server answers every prompt with HTTP 400, as OpenCode does for a request it refuses;
    // everything else (session create/delete, events, lists) reaches the real server.
    const target = new URL(bed.url)
    const proxy = http.createServer((req, res) => {
      if (req.method === 'POST' && /^\/session\/[^/]+\/message/.test(req.url ?? '')) {
        req.resume()
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ name: 'BadRequest', data: { message: 'refused by the test proxy' } }))
        return
      }
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      req.pipe(up)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
    // The test bed's server has a password, like every server ocdw starts: the client sends it through the proxy.
    const client = createOpencodeClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, directory: bed.projectDir, headers: { Authorization: basicAuthHeader(bed.auth) } })
    const executor = createOpencodeExecutor({ client, directory: bed.projectDir, defaultModel: bed.model, retries: 3, backoffMs: 10 })
    const before = await sessionIds(bed)
    try {
      const run = await startRun({ projectDir: bed.projectDir, script: "export const meta = { name: 'refused' }\nreturn await agent('refused prompt')", executor, control: false })
      const events: RuntimeEvent[] = []
      run.events.subscribe((e) => events.push(e))
      const summary = await run.done
      expect(summary.result).toBeNull()
      expect(events.filter((e) => e.type === 'agent.retry')).toEqual([])
      expect(run.view().agents[0]!.error).toMatch(/HTTP 400: refused by the test proxy/)
      // The session the agent created is gone again (deleted in the background: wait for it).
      const deadline = Date.now() + 30_000
      let left = (await sessionIds(bed)).filter((id) => !before.includes(id))
      while (left.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        left = (await sessionIds(bed)).filter((id) => !before.includes(id))
      }
      expect(left).toEqual([])
    } finally {
      executor.close()
      await new Promise((r) => proxy.close(r))
    }
  }, 240_000)

  it('P-BUDGET-1 the budget counts output tokens and a spent budget makes agent() throw, caught by the script', async () => {
    const script = `export const meta = { name: 'budget-loop' }
let done = 0
let thrown = ''
while (budget.remaining() > 0) {
  try { await agent('budget round ' + done); done++ } catch (e) { thrown = e.message; break }
}
let after = ''
try { await agent('one more') } catch (e) { after = e.message }
return { done, thrown, after, remaining: budget.remaining(), spent: budget.spent() }`
    const { summary } = await runScript(bed, script, { budget: 30 })
    expect(summary.status, summary.error).toBe('completed')
    const r = summary.result as any
    expect(r.done).toBeGreaterThan(0)
    expect(r.remaining).toBe(0)
    expect(r.after).toMatch(/budget of 30 output tokens is spent.*--budget/)
    // The script saw output tokens only; the run's own count (the UI's) is the wider input + output + reasoning.
    expect(r.spent).toBe(summary.tokens.output + summary.tokens.reasoning)
    expect(summary.tokens.total).toBeGreaterThan(r.spent)
  }, 240_000)
})

describe('the CLI says an alias fell back, once', () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox()
  })
  afterAll(() => sb.cleanup())

  it('P-MODEL-4 ocdw run --offline prints the fallback note once in its progress and gets real answers', async () => {
    writeFileSync(
      join(sb.project, 'tiers.js'),
      "export const meta = { name: 'tiers' }\nconst xs = await parallel([1, 2, 3].map((i) => () => agent('cli tier ' + i, { model: 'sonnet' })))\nreturn xs\n",
    )
    const r = await sb.runAsync(['run', '--script', 'tiers.js', '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const summary = parseJsonOut(r.stdout)
    expect(summary.result.every((x: unknown) => typeof x === 'string')).toBe(true)
    expect(r.stderr.match(/model "sonnet" runs on the run's default model/g)).toHaveLength(1)
  }, 240_000)

  it('P-SAVED-1 P-SAVED-2 a team\'s .claude/workflows script and a personal ~/.claude one run by name and are listed', async () => {
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(sb.project, '.claude/workflows'), { recursive: true })
    writeFileSync(
      join(sb.project, '.claude/workflows/team-review.js'),
      "export const meta = { name: 'team-review', description: 'a Claude Code workflow' }\nconst r = await agent('team review of ' + args, { model: 'haiku', agentType: 'Explore' })\nreturn { reviewed: args, answered: typeof r === 'string' }\n",
    )
    mkdirSync(join(sb.env.HOME!, '.claude/workflows'), { recursive: true })
    writeFileSync(join(sb.env.HOME!, '.claude/workflows/my-notes.js'), "export const meta = { name: 'my-notes' }\nreturn 'personal'\n")
    const listed = await sb.runAsync(['workflows'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/team-review/)
    expect(listed.stdout).toMatch(/my-notes/)
    const r = await sb.runAsync(['run', '--name', 'team-review', '--args', 'src/', '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(parseJsonOut(r.stdout).result).toEqual({ reviewed: 'src/', answered: true })
  }, 240_000)
})
