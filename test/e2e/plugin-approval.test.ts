// Approval of the plugin's `workflow` tool in the real OpenCode (`opencode serve` + the offline model, the built
// plugin loaded through the test bed's `plugins` option), one server per way of skipping the prompt:
//  1. bypass mode (only the plugin option in opencode.json; OCDW_MODE in the env no longer counts) runs with no
//     permission request even where config says ask, and says so in its answer;
//  2. default mode honours the consent the CLI records for (project, name, script hash); a changed script asks again,
//     and a reject ends the tool call before any agent starts;
//  3. OpenCode's own `"permission": { "workflow": "allow" }` runs without asking even when everything else asks;
//  4. approval covers the sub-workflows a script calls: shown and hashed with it, so "always" does not carry over to
//     a changed sub-workflow, and a sub-workflow called by a computed name (never shown) does not run.
// Every `permission.asked` event is recorded from the server's event stream; one a test does not expect is rejected
// at once, so a wrong prompt fails the test instead of hanging it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scriptHash } from '../../src/cli/approval.js'
import { consentHash } from '../../src/usecases/approval-policy.js'
import { startOfflineTestbed, type OfflineTestbed, type OfflineTestbedOptions } from '../../src/offline/testbed.js'
import { hasConsent, recordConsent } from '../../src/store/consent.js'
import { waitFor } from '../support/wait.js'

const PLUGIN_URL = pathToFileURL(join(__dirname, '../../dist/plugin/index.js')).href

const script = (name: string, marker: string) => `export const meta = { name: '${name}', phases: [{ title: 'Ask' }] }
const a = await agent('approval question for ${marker}', { label: '${marker}' })
return { answered: typeof a === 'string', marker: '${marker}' }
`
const BYPASSED = script('bypassed', 'bypass-done')
const CONSENTED = script('consented', 'consent-done')
// Same workflow name, different text: the consent recorded for CONSENTED does not cover it.
const CHANGED = script('consented', 'changed-done')
const ALLOWED = script('allowed', 'allow-done')
// A script that runs a project workflow by name, and one that names it by a computed name (which approval cannot show).
const PARENT = `export const meta = { name: 'parent' }
return await workflow('helper')
`
const COMPUTED = `export const meta = { name: 'computed' }
const name = ['hel', 'per'].join('')
return await workflow(name)
`
const helper = (version: string) => `export const meta = { name: 'helper' }
return await agent('helper question ${version}', { label: 'helper ${version}' })
`

const RULES = [
  { match: '^run bypassed$', reply: { tools: [{ name: 'workflow', args: { script: BYPASSED, background: false } }] } },
  { match: '^run consented$', reply: { tools: [{ name: 'workflow', args: { script: CONSENTED, background: false } }] } },
  { match: '^run changed$', reply: { tools: [{ name: 'workflow', args: { script: CHANGED, background: false } }] } },
  { match: '^run allowed$', reply: { tools: [{ name: 'workflow', args: { script: ALLOWED, background: false } }] } },
  { match: '^run parent$', reply: { tools: [{ name: 'workflow', args: { script: PARENT, background: false } }] } },
  { match: '^run computed$', reply: { tools: [{ name: 'workflow', args: { script: COMPUTED, background: false } }] } },
]

/** A test bed with the plugin loaded, its `permission.asked` events, and the sessions whose prompts a test answers. */
class Bed {
  tb!: OfflineTestbed
  readonly asked: any[] = []
  readonly manual = new Set<string>()
  private readonly events = new AbortController()

  async start(o: Pick<OfflineTestbedOptions, 'env' | 'permission'> & { pluginOptions?: Record<string, unknown> }): Promise<void> {
    const plugin = o.pluginOptions ? ([PLUGIN_URL, o.pluginOptions] as unknown as string) : PLUGIN_URL
    this.tb = await startOfflineTestbed({ rules: RULES, plugins: [plugin], env: o.env, permission: o.permission })
    let connected!: () => void
    const ready = new Promise<void>((r) => (connected = r))
    void (async () => {
      try {
        const sub = await this.tb.client.event.subscribe({ directory: this.dir }, { signal: this.events.signal, sseMaxRetryAttempts: 1000 } as never)
        for await (const raw of sub.stream as AsyncIterable<any>) {
          connected()
          const ev = raw && typeof raw === 'object' && 'payload' in raw ? raw.payload : raw
          if (ev?.type !== 'permission.asked') continue
          this.asked.push(ev.properties)
          // Not expected by the test: refuse it so the prompt ends (the test then fails on the recorded event).
          if (!this.manual.has(ev.properties.sessionID)) {
            await this.tb.client.permission.reply({ requestID: ev.properties.id, directory: this.dir, reply: 'reject' })
          }
        }
      } catch {
        /* the server stopped */
      }
    })()
    // The first event (server.connected) shows the stream is open, so no request can be missed.
    await ready
  }

  async stop(): Promise<void> {
    this.events.abort()
    await this.tb?.stop()
  }

  get dir(): string {
    return this.tb.projectDir
  }

  askedFor(sessionID: string, permission = 'workflow') {
    return this.asked.filter((p) => p.sessionID === sessionID && p.permission === permission)
  }

  async newSession(): Promise<string> {
    return (await this.tb.client.session.create({ directory: this.dir })).data!.id
  }

  say(sessionID: string, text: string) {
    return this.tb.client.session.prompt({ sessionID, directory: this.dir, parts: [{ type: 'text', text }] })
  }

  /** Says `text` in a new session whose workflow permission request the test answers (with `reply`). */
  async request(text: string, what: string) {
    const sessionID = await this.newSession()
    this.manual.add(sessionID)
    const turn = this.say(sessionID, text)
    const req = await waitFor(what, () => this.askedFor(sessionID)[0])
    return { sessionID, turn, req }
  }

  reply(req: { id: string }, reply: 'once' | 'always' | 'reject') {
    return this.tb.client.permission.reply({ requestID: req.id, directory: this.dir, reply })
  }

  async workflowParts(sessionID: string): Promise<any[]> {
    return ((await this.tb.client.session.messages({ sessionID, directory: this.dir })).data ?? [])
      .flatMap((m: any) => m.parts)
      .filter((p: any) => p.type === 'tool' && p.tool === 'workflow')
  }

  async children(sessionID: string) {
    return (await this.tb.client.session.children({ sessionID, directory: this.dir })).data ?? []
  }

  /** Asks the primary agent to run a workflow and checks it ran without a prompt: completed, one child agent. */
  async expectRunsWithoutAsking(text: string, marker: string): Promise<any> {
    const sessionID = await this.newSession()
    const res = await this.say(sessionID, text)
    expect(res.error).toBeUndefined()
    expect(this.askedFor(sessionID)).toEqual([])
    const parts = await this.workflowParts(sessionID)
    expect(parts).toHaveLength(1)
    const [part] = parts
    expect(part.state.status, JSON.stringify(part.state)).toBe('completed')
    expect(part.state.metadata.runId).toMatch(/^wf_/)
    expect(part.state.output).toContain(`${part.state.metadata.runId}: completed`)
    expect(part.state.output).toContain(`"marker": "${marker}"`)
    expect(part.state.output).toContain('"answered": true')
    const children = await this.children(sessionID)
    expect(children.map((c) => [c.parentID, c.title])).toEqual([[sessionID, `ocdw: ${marker}`]])
    return part
  }
}

describe('workflow approval in the real OpenCode server', () => {
  describe('bypass mode (the plugin option in opencode.json)', () => {
    const bed = new Bed()
    // The config asks for workflow, so only the bypass mode can let it through without a prompt.
    beforeAll(() => bed.start({ pluginOptions: { mode: 'bypass' }, permission: { workflow: 'ask' } }), 60_000)
    afterAll(() => bed.stop())

    it('runs the workflow tool with no permission request, and its answer says approval was bypassed', async () => {
      const part = await bed.expectRunsWithoutAsking('run bypassed', 'bypass-done')
      expect(part.state.output).toContain('Approval was bypassed')
      expect(bed.asked).toEqual([])
    })
  })

  describe('OCDW_MODE=bypass in the server environment', () => {
    const bed = new Bed()
    beforeAll(() => bed.start({ env: { OCDW_MODE: 'bypass' }, permission: { workflow: 'ask' } }), 60_000)
    afterAll(() => bed.stop())

    it('does not switch approval off: the user is still asked', async () => {
      const { sessionID, turn, req } = await bed.request('run bypassed', 'the workflow permission request despite OCDW_MODE')
      expect(req.metadata.script).toBe(BYPASSED)
      await bed.reply(req, 'reject')
      await turn
      expect(await bed.children(sessionID)).toHaveLength(0)
    })
  })

  describe('default mode with the consent store of the CLI', () => {
    const bed = new Bed()
    beforeAll(() => bed.start({ permission: { workflow: 'ask' } }), 60_000)
    afterAll(() => bed.stop())

    it('recorded consent runs the same script without asking; a changed script asks again and a reject ends the call', async () => {
      // Record consent as the CLI does ("Yes, and don't ask again"), in the config dir the server sees.
      const saved = { xdg: process.env.XDG_CONFIG_HOME, dir: process.env.OPENCODE_CONFIG_DIR }
      const key = { projectDir: bed.dir, name: 'consented', scriptHash: scriptHash(CONSENTED) }
      process.env.XDG_CONFIG_HOME = bed.tb.env.XDG_CONFIG_HOME
      delete process.env.OPENCODE_CONFIG_DIR
      try {
        recordConsent(key)
        expect(hasConsent(key)).toBe(true)
        expect(hasConsent({ ...key, scriptHash: scriptHash(CHANGED) })).toBe(false)
      } finally {
        if (saved.xdg === undefined) delete process.env.XDG_CONFIG_HOME
        else process.env.XDG_CONFIG_HOME = saved.xdg
        if (saved.dir !== undefined) process.env.OPENCODE_CONFIG_DIR = saved.dir
      }

      await bed.expectRunsWithoutAsking('run consented', 'consent-done')

      const { sessionID, turn, req } = await bed.request('run changed', 'the workflow permission request for the changed script')
      // "always" is keyed on the script's hash: the same name with another script is another pattern.
      expect(req.patterns).toHaveLength(1)
      expect(req.patterns[0]).toMatch(new RegExp(`^workflow consented; .* sha256:${scriptHash(CHANGED)}$`))
      expect(req.metadata.script).toBe(CHANGED)
      expect(await bed.children(sessionID)).toHaveLength(0)
      const replied = await bed.reply(req, 'reject')
      expect(replied.error).toBeUndefined()
      await turn
      const parts = await bed.workflowParts(sessionID)
      expect(parts.map((p) => p.state.status)).toEqual(['error'])
      expect(await bed.children(sessionID)).toHaveLength(0)
      expect(bed.askedFor(sessionID)).toHaveLength(1)
      // The permission request is answered: nothing is left pending.
      expect(((await bed.tb.client.permission.list({ directory: bed.dir })).data ?? []).length).toBe(0)
    })
  })

  describe('"Allow always" in OpenCode\'s prompt', () => {
    const bed = new Bed()
    beforeAll(() => bed.start({ permission: { workflow: 'ask' } }), 60_000)
    afterAll(() => bed.stop())

    it('covers exactly the approved script: the same name with another script asks again', async () => {
      const { sessionID: first, turn: turn1, req: req1 } = await bed.request('run consented', 'the first workflow permission request')
      await bed.reply(req1, 'always')
      await turn1
      expect((await bed.workflowParts(first)).map((p) => p.state.status)).toEqual(['completed'])

      // Same workflow name, different script: "always" does not cover it.
      const { sessionID: second, turn: turn2, req: req2 } = await bed.request('run changed', 'a new request for the changed script')
      expect(req2.metadata.name).toBe('consented')
      expect(req2.metadata.script).toBe(CHANGED)
      await bed.reply(req2, 'reject')
      await turn2
      expect(await bed.children(second)).toHaveLength(0)

      // The approved script itself runs without asking again.
      await bed.expectRunsWithoutAsking('run consented', 'consent-done')
    })
  })

  describe('OpenCode permission config "workflow": "allow"', () => {
    const bed = new Bed()
    // Everything else asks, so only the workflow rule can let the tool through without a prompt.
    beforeAll(() => bed.start({ permission: { '*': 'ask', workflow: 'allow' } }), 60_000)
    afterAll(() => bed.stop())

    it('runs the workflow tool without asking', async () => {
      await bed.expectRunsWithoutAsking('run allowed', 'allow-done')
      expect(bed.asked).toEqual([])
    })
  })

  describe('a script that calls sub-workflows', () => {
    const bed = new Bed()
    beforeAll(() => bed.start({ permission: { workflow: 'ask' } }), 60_000)
    afterAll(() => bed.stop())

    it('shows and hashes them with the script: "always" does not cover a changed sub-workflow, and a computed name does not run', async () => {
      const helperFile = join(bed.dir, '.opencode/workflows/helper.js')
      mkdirSync(join(bed.dir, '.opencode/workflows'), { recursive: true })
      writeFileSync(helperFile, helper('v1'))

      const { sessionID: first, turn: turn1, req: req1 } = await bed.request('run parent', 'the request for the parent workflow')
      expect(req1.metadata.workflows).toEqual({ helper: helper('v1') })
      expect(req1.patterns[0]).toMatch(new RegExp(`^workflow parent; .*calls sub-workflow helper.* sha256:${consentHash(PARENT, { helper: helper('v1') })}$`))
      expect(req1.metadata.sha256).not.toBe(scriptHash(PARENT))
      await bed.reply(req1, 'always')
      await turn1
      expect((await bed.workflowParts(first)).map((p) => p.state.status)).toEqual(['completed'])
      expect((await bed.children(first)).map((c) => c.title)).toEqual(['ocdw: helper v1'])

      // The repository (or the model) changes the sub-workflow: the same top script asks again, showing the new text.
      writeFileSync(helperFile, helper('v2'))
      const { sessionID: second, turn: turn2, req: req2 } = await bed.request('run parent', 'a new request after the sub-workflow changed')
      expect(req2.metadata.workflows).toEqual({ helper: helper('v2') })
      await bed.reply(req2, 'reject')
      await turn2
      expect(await bed.children(second)).toHaveLength(0)

      // A computed name was never shown for approval: approving the script does not let it run.
      const { sessionID: third, turn: turn3, req: req3 } = await bed.request('run computed', 'the request for the computed-name script')
      expect(req3.metadata.workflows).toBeUndefined()
      await bed.reply(req3, 'once')
      await turn3
      const [part] = await bed.workflowParts(third)
      expect(part.state.output ?? part.state.error).toContain('was not part of what was approved')
      expect(await bed.children(third)).toHaveLength(0)
    })
  })
})
