// The ocdw plugin inside the real OpenCode (`opencode serve` + the offline model), loaded from the built package
// through the project's opencode.json that the built `ocdw setup` wrote: the workflow tool (foreground and
// background), /deep-research and a saved workflow as commands, ultracode on and off (seen in the system prompt the
// model receives), and setup's idempotence and --remove. One server for all of it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, type Sandbox } from '../support/cli.js'
import { waitFor as waitUntil } from '../support/wait.js'

const PLUGIN_URL = pathToFileURL(join(__dirname, '../../dist/plugin/index.js')).href

const TINY = `export const meta = { name: 'tiny', description: 'two agents', phases: [{ title: 'Ask' }] }
const a = await parallel([1, 2].map((i) => () => agent('tiny question ' + i, { label: 'q' + i })))
return { answered: a.filter(Boolean).length, marker: 'tiny-done' }
`
const TINY_BG = `export const meta = { name: 'tiny-bg', phases: [{ title: 'Work' }] }
const a = await agent('background question', { label: 'bg' })
return { background: typeof a === 'string', marker: 'bg-done' }
`
const SAVED = `export const meta = { name: 'saved-tiny', description: 'a saved workflow for the command test' }
const a = await agent('saved question: ' + args, { label: 'saved' })
return { got: args, answered: typeof a === 'string' }
`

// The original project config, with formatting JSON.stringify would not reproduce, and no "$schema" (OpenCode adds
// one to the file when it loads it, which --remove must see through).
const ORIGINAL_CONFIG = '{\n    "instructions": [],   "username": "plugin-test"\n}'

const RULES = [
  { match: '^run tiny now$', reply: { tools: [{ name: 'workflow', args: { script: TINY, background: false } }] } },
  { match: '^run tiny in the background$', reply: { tools: [{ name: 'workflow', args: { script: TINY_BG, background: true } }] } },
  { match: 'set to "saved-tiny"', reply: { tools: [{ name: 'workflow', args: { name: 'saved-tiny', args: 'hello saved', background: false } }] } },
  { match: 'set to "deep-research"', reply: { text: 'deep research would start here' } },
  { match: '^show each agent of (wf_\\w+)$', reply: { tools: [{ name: 'workflow_control', args: { action: 'result' } }] } },
  { match: 'Call the `workflow_status` tool with no arguments', reply: { tools: [{ name: 'workflow_status', args: {} }] } },
]

interface LogLine {
  lastUser: string
  kind: string
  system?: string
}

/** The shared poller with this file's longer default deadline (real-server steps). */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000) => waitUntil(what, probe, timeoutMs)

describe('the ocdw plugin in the real OpenCode server', () => {
  let sb: Sandbox
  let tb: OfflineTestbed
  let logFile: string
  const setupRuns: { code: number; stdout: string; stderr: string }[] = []
  /** Sessions whose permission requests a test answers itself; the others are approved once, like a user would. */
  const manual = new Set<string>()
  let approver: ReturnType<typeof setInterval> | undefined

  const dir = () => sb.project
  const log = (): LogLine[] => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [])
  /** The model requests of a conversation turn (not the title requests). */
  const requestsFor = (lastUser: RegExp) => log().filter((l) => l.kind !== 'title' && lastUser.test(l.lastUser))
  const newSession = async () => (await tb.client.session.create({ directory: dir() })).data!.id
  const messages = async (sessionID: string) => (await tb.client.session.messages({ sessionID, directory: dir() })).data ?? []
  const toolParts = async (sessionID: string, tool: string) =>
    (await messages(sessionID)).flatMap((m: any) => m.parts).filter((p: any) => p.type === 'tool' && p.tool === tool) as any[]

  beforeAll(async () => {
    sb = makeSandbox('ocdw-plugin-')
    logFile = join(sb.root, 'offline-model.log')
    writeFileSync(join(sb.project, 'opencode.json'), ORIGINAL_CONFIG)
    mkdirSync(join(sb.project, '.opencode/workflows'), { recursive: true })
    writeFileSync(join(sb.project, '.opencode/workflows/saved-tiny.js'), SAVED)
    // `ocdw setup` twice, with the built CLI, as a user types it.
    setupRuns.push(sb.run(['setup']), sb.run(['setup']))
    tb = await startOfflineTestbed({ projectDir: sb.project, rules: RULES, logFile, logSystem: true })
    const answered = new Set<string>()
    let busy = false
    approver = setInterval(async () => {
      if (busy) return
      busy = true
      try {
        const listed = ((await tb.client.permission.list({ directory: dir() })).data ?? []) as any[]
        for (const p of listed) {
          if (manual.has(p.sessionID) || answered.has(p.id)) continue
          answered.add(p.id)
          await tb.client.permission.reply({ requestID: p.id, directory: dir(), reply: 'once' })
        }
      } catch {
        /* server stopping */
      } finally {
        busy = false
      }
    }, 200)
  }, 120_000)

  afterAll(async () => {
    clearInterval(approver)
    await tb?.stop()
    sb?.cleanup()
  })

  it('setup adds the plugin entry once, keeps the other settings, and writes the command files', () => {
    for (const r of setupRuns) expect(r.code, r.stderr).toBe(0)
    expect(setupRuns[1].stdout).toMatch(/already in/)
    const config = JSON.parse(readFileSync(join(dir(), 'opencode.json'), 'utf8'))
    expect(config.plugin).toEqual([PLUGIN_URL])
    expect(config.username).toBe('plugin-test')
    expect(config.instructions).toEqual([])
    // Approval inside OpenCode: the workflow permission asks by default.
    expect(config.permission).toEqual({ workflow: 'ask' })
    for (const name of ['workflow', 'workflows', 'deep-research', 'ultracode', 'saved-tiny']) {
      expect(existsSync(join(dir(), '.opencode/command', `${name}.md`)), name).toBe(true)
    }
  })

  it('the server lists the workflow tools and the commands', async () => {
    const ids = await (await fetch(`${tb.url}/experimental/tool/ids?directory=${encodeURIComponent(dir())}`, { headers: { Authorization: `Basic ${Buffer.from(`${tb.auth.username}:${tb.auth.password}`).toString('base64')}` } })).json()
    expect(ids).toEqual(expect.arrayContaining(['workflow', 'workflow_status', 'workflow_control']))
    const commands = ((await tb.client.command.list({ directory: dir() })).data ?? []).map((c: any) => c.name)
    expect(commands).toEqual(expect.arrayContaining(['workflow', 'workflows', 'deep-research', 'ultracode', 'saved-tiny']))
  })

  it('the primary agent calls workflow: the run happens on this server, agents are child sessions, the result comes back', async () => {
    const sessionID = await newSession()
    const res = await tb.client.session.prompt({ sessionID, directory: dir(), parts: [{ type: 'text', text: 'run tiny now' }] })
    expect(res.error).toBeUndefined()
    const [part] = await toolParts(sessionID, 'workflow')
    expect(part?.state.status, JSON.stringify(part?.state)).toBe('completed')
    const runId = part.state.metadata.runId as string
    expect(runId).toMatch(/^wf_/)
    expect(part.state.output).toContain(runId)
    expect(part.state.output).toContain('completed')
    expect(part.state.output).toContain('"marker": "tiny-done"')
    expect(part.state.output).toContain('"answered": 2')

    const children = (await tb.client.session.children({ sessionID, directory: dir() })).data ?? []
    expect(children).toHaveLength(2)
    for (const c of children) expect(c.parentID).toBe(sessionID)
    expect(children.map((c) => c.title).sort()).toEqual(['ocdw: q1', 'ocdw: q2'])

    const run = JSON.parse(readFileSync(join(dir(), '.opencode/workflows/runs', runId, 'run.json'), 'utf8'))
    expect(JSON.stringify(run)).toContain(sessionID)
    expect(JSON.parse(readFileSync(join(dir(), '.opencode/workflows/runs', runId, 'result.json'), 'utf8'))).toMatchObject({ marker: 'tiny-done' })
  })

  it("workflow_control's result gives each agent's output and the run's result (no run files to read)", async () => {
    const sessionID = await newSession()
    const runs = readdirSync(join(dir(), '.opencode/workflows/runs'))
    expect(runs).toHaveLength(1)
    await tb.client.session.prompt({ sessionID, directory: dir(), parts: [{ type: 'text', text: `show each agent of ${runs[0]}` }] })
    const [part] = await toolParts(sessionID, 'workflow_control')
    expect(part?.state.status, JSON.stringify(part?.state)).toBe('completed')
    const out = part.state.output as string
    expect(out).toContain(`ocdw run ${runs[0]} (tiny): completed; 2 agents.`)
    for (const label of ['q1', 'q2']) expect(out).toMatch(new RegExp(`## ${label} \\(\\S+\\) — done\\n\\S`))
    // Each agent's own answer (the offline model echoes the prompt), and the run's result.
    expect(out).toContain('tiny question 1')
    expect(out).toContain('tiny question 2')
    expect(out).toContain('"marker": "tiny-done"')
  })

  it("approval goes through OpenCode's permission prompt: reject ends the tool call, once lets the run go", async () => {
    // The project config (written by setup) says "ask" for workflow; this test answers the prompts itself.
    const sessionID = await newSession()
    manual.add(sessionID)
    const asked = () =>
      waitFor('the workflow permission request', async () => ((await tb.client.permission.list({ directory: dir() })).data ?? []).find((p: any) => p.sessionID === sessionID))

    const first = tb.client.session.prompt({ sessionID, directory: dir(), parts: [{ type: 'text', text: 'run tiny now' }] })
    const req1: any = await asked()
    expect(req1.permission).toBe('workflow')
    // Keyed on the script's sha256, readable for the "always" confirmation (name, description, phases, estimate).
    expect(req1.patterns).toEqual([`workflow tiny: two agents; phases Ask; about an open-ended number of agents (loops or sub-workflows) sha256:${createHash('sha256').update(TINY).digest('hex')}`])
    expect(req1.always).toEqual(req1.patterns)
    expect(req1.metadata).toMatchObject({ name: 'tiny', description: 'two agents', phases: ['Ask'], script: TINY })
    expect(readFileSync(req1.metadata.scriptFile, 'utf8')).toBe(TINY)
    expect((await tb.client.session.children({ sessionID, directory: dir() })).data ?? []).toHaveLength(0)
    await tb.client.permission.reply({ requestID: req1.id, directory: dir(), reply: 'reject' })
    await first
    const [rejected] = await toolParts(sessionID, 'workflow')
    expect(rejected?.state.status).toBe('error')
    expect((await tb.client.session.children({ sessionID, directory: dir() })).data ?? []).toHaveLength(0)

    const second = tb.client.session.prompt({ sessionID, directory: dir(), parts: [{ type: 'text', text: 'run tiny now' }] })
    const req2: any = await asked()
    expect(req2.id).not.toBe(req1.id)
    await tb.client.permission.reply({ requestID: req2.id, directory: dir(), reply: 'once' })
    await second
    const parts = await toolParts(sessionID, 'workflow')
    expect(parts.map((p) => p.state.status)).toEqual(['error', 'completed'])
    expect((await tb.client.session.children({ sessionID, directory: dir() })).data ?? []).toHaveLength(2)
  })

  it('background mode returns at once and posts the result into the session when the run ends', async () => {
    const sessionID = await newSession()
    await tb.client.session.prompt({ sessionID, directory: dir(), parts: [{ type: 'text', text: 'run tiny in the background' }] })
    const [part] = await toolParts(sessionID, 'workflow')
    expect(part?.state.status).toBe('completed')
    expect(part.state.output).toMatch(/in the background/)
    const runId = part.state.metadata.runId as string
    const posted = await waitFor('the background result in the session', async () => {
      for (const m of await messages(sessionID)) {
        const text = (m.parts as any[]).map((p) => (p.type === 'text' ? p.text : '')).join('\n')
        if (m.info.role === 'user' && text.includes('[ocdw workflow tiny-bg finished]')) return text
      }
      return undefined
    })
    expect(posted).toContain(runId)
    expect(posted).toContain('completed')
    expect(posted).toContain('"marker": "bg-done"')
    const children = (await tb.client.session.children({ sessionID, directory: dir() })).data ?? []
    expect(children.map((c) => c.parentID)).toEqual([sessionID])
  })

  it('/deep-research sends its template to the model through the command API', async () => {
    const sessionID = await newSession()
    const res = await tb.client.session.command({ sessionID, directory: dir(), command: 'deep-research', arguments: 'why is the sky blue' })
    expect(res.error).toBeUndefined()
    const reqs = requestsFor(/set to "deep-research"/)
    expect(reqs.length).toBeGreaterThan(0)
    expect(reqs[0].lastUser).toContain('why is the sky blue')
    const text = ((res.data as any)?.parts ?? []).map((p: any) => p.text ?? '').join('')
    expect(text).toContain('deep research would start here')
  })

  it('a saved workflow runs as /<name> <args> through the command API', async () => {
    const sessionID = await newSession()
    const res = await tb.client.session.command({ sessionID, directory: dir(), command: 'saved-tiny', arguments: 'hello saved' })
    expect(res.error).toBeUndefined()
    expect(requestsFor(/set to "saved-tiny"[\s\S]*hello saved/).length).toBeGreaterThan(0)
    const [part] = await toolParts(sessionID, 'workflow')
    expect(part?.state.status, JSON.stringify(part?.state)).toBe('completed')
    expect(part.state.output).toContain('"got": "hello saved"')
    const children = (await tb.client.session.children({ sessionID, directory: dir() })).data ?? []
    expect(children.map((c) => c.parentID)).toEqual([sessionID])
  })

  it('ultracode: /ultracode puts the workflow instruction into the system prompt, "ultracode off" takes it out', async () => {
    const MARK = 'ocdw ultracode mode is ON'
    const systemsFor = (text: string) => requestsFor(new RegExp(`^${text}$`)).map((l) => l.system ?? '')
    const sessionID = await newSession()
    const other = await newSession()
    const say = (id: string, text: string) => tb.client.session.prompt({ sessionID: id, directory: dir(), parts: [{ type: 'text', text }] })

    await say(sessionID, 'ultra check before')
    await tb.client.session.command({ sessionID, directory: dir(), command: 'ultracode', arguments: '' })
    await say(sessionID, 'ultra check while on')
    await say(other, 'ultra check other session')
    await say(sessionID, 'ultracode off')
    await say(sessionID, 'ultra check after off')

    const before = systemsFor('ultra check before')
    const on = systemsFor('ultra check while on')
    const elsewhere = systemsFor('ultra check other session')
    const after = systemsFor('ultra check after off')
    for (const s of [before, on, elsewhere, after]) expect(s.length).toBeGreaterThan(0)
    expect(before[0].length).toBeGreaterThan(0) // the system prompt is logged at all
    expect(before.some((s) => s.includes(MARK))).toBe(false)
    expect(on.every((s) => s.includes(MARK))).toBe(true)
    expect(elsewhere.some((s) => s.includes(MARK))).toBe(false)
    expect(after.some((s) => s.includes(MARK))).toBe(false)

    // The keyword in a plain message turns it on as well.
    await say(other, 'ultracode: please plan this properly')
    await say(other, 'ultra check keyword on')
    expect(systemsFor('ultra check keyword on').every((s) => s.includes(MARK))).toBe(true)
  })

  it('/workflows calls workflow_status, which lists the runs the plugin made and the saved workflows', async () => {
    const sessionID = await newSession()
    await tb.client.session.command({ sessionID, directory: dir(), command: 'workflows', arguments: '' })
    const [part] = await toolParts(sessionID, 'workflow_status')
    expect(part?.state.status, JSON.stringify(part?.state)).toBe('completed')
    const runs = readdirSync(join(dir(), '.opencode/workflows/runs'))
    expect(runs.length).toBeGreaterThanOrEqual(4)
    for (const id of runs) expect(part.state.output).toContain(id)
    expect(part.state.output).toMatch(/tiny-bg: completed/)
    expect(part.state.output).toContain('saved-tiny (project)')
  })

  it('setup --remove takes out exactly the entries setup added and removes the command files', async () => {
    clearInterval(approver)
    await tb.stop()
    const r = sb.run(['setup', '--remove'])
    expect(r.code, r.stderr).toBe(0)
    const after = JSON.parse(readFileSync(join(dir(), 'opencode.json'), 'utf8'))
    // OpenCode itself may have added "$schema" when it loaded the file: that is not ocdw's to remove.
    delete after.$schema
    expect(after).toEqual(JSON.parse(ORIGINAL_CONFIG))
    for (const name of ['workflow', 'workflows', 'deep-research', 'ultracode', 'saved-tiny']) {
      expect(existsSync(join(dir(), '.opencode/command', `${name}.md`)), name).toBe(false)
    }
    expect(existsSync(join(dir(), '.opencode/workflows/saved-tiny.js'))).toBe(true)
    expect(existsSync(join(dir(), '.opencode/ocdw-setup.json'))).toBe(false)
  })

  it('setup --global writes the personal config and --remove deletes what it created', () => {
    const globalConfig = join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'opencode.json')
    expect(existsSync(globalConfig)).toBe(false)
    expect(sb.run(['setup', '--global']).code).toBe(0)
    expect(sb.run(['setup', '--global']).code).toBe(0)
    expect(JSON.parse(readFileSync(globalConfig, 'utf8')).plugin).toEqual([PLUGIN_URL])
    expect(existsSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'command', 'deep-research.md'))).toBe(true)
    // The project's saved workflow is not a personal command.
    expect(existsSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'command', 'saved-tiny.md'))).toBe(false)
    const r = sb.run(['setup', '--global', '--remove'])
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(globalConfig)).toBe(false)
    expect(existsSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode'))).toBe(false)
  })
})
