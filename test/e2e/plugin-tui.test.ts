// The ocdw plugin in OpenCode's own TUI (`opencode`, the real binary, in a tmux pane on a private tmux server), with
// the offline model: `/workflow <task>` → the model calls `workflow` → OpenCode's permission dialog (with the
// approval summary next to it) → "Allow once" → the agents run as child sessions of the in-process server → the
// run's end wakes the model, and the result is in the conversation. Agents are checked *done* with `ocdw show --json`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { makeOpencodeHome, type OpencodeHome } from '../support/opencode-home.js'
import { shellQuote } from '../support/tmux.js'
import { waitFor } from '../support/wait.js'

const TINY = `export const meta = { name: 'tiny', description: 'two agents', phases: [{ title: 'Ask' }] }
const a = await parallel([1, 2].map((i) => () => agent('tiny question ' + i, { label: 'q' + i })))
return { answered: a.filter(Boolean).length, marker: 'tiny-done' }
`
// Agents that need a shell: OpenCode asks (bash: ask), in its own dialog, on the user's screen.
const SHELL = `export const meta = { name: 'shell', description: 'two agents that need a shell', phases: [{ title: 'Shell' }] }
const allowed = await agent('shell agent allowed', { label: 'allowed' })
const refused = await agent('shell agent refused', { label: 'refused' })
return { allowed, refused, marker: 'shell-done' }
`
const RULES = [
  { match: 'Run an ocdw workflow for this task: .?shell tui', reply: { tools: [{ name: 'workflow', args: { script: SHELL } }] }, then: { text: 'SHELL WORKFLOW STARTED' } },
  { match: '^shell agent allowed$', reply: { tools: [{ name: 'bash', args: { command: 'echo yes > allowed-proof.txt', description: 'allowed proof' } }] }, then: { text: 'allowed agent finished' } },
  { match: '^shell agent refused$', reply: { tools: [{ name: 'bash', args: { command: 'echo no > refused-proof.txt', description: 'refused proof' } }] }, then: { text: 'refused agent finished' } },
  { match: '^\\[ocdw workflow shell finished\\]', reply: { text: 'SHELL RESULT SEEN' } },
  { match: 'Run an ocdw workflow for this task: .?tiny tui', reply: { tools: [{ name: 'workflow', args: { script: TINY } }] }, then: { text: 'WORKFLOW STARTED OK' } },
  { match: '^\\[ocdw workflow tiny finished\\]', reply: { text: 'RESULT SEEN BY THE MODEL' } },
]
const SESSION = 'oc'

describe('the ocdw plugin in the OpenCode TUI (real binary under tmux, offline model)', () => {
  let sb: Sandbox
  let oc: OpencodeHome
  let socket = ''
  const tmuxEnv = { ...process.env }
  delete tmuxEnv.TMUX
  const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: tmuxEnv })
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', SESSION).stdout ?? ''
  const waitScreen = async (what: string, pattern: RegExp, timeoutMs = 90_000) => {
    try {
      return await waitFor(what, () => pattern.test(screen()) && screen(), timeoutMs)
    } catch (err) {
      throw new Error(`${(err as Error).message}\nlast screen:\n${screen()}`)
    }
  }
  const runsDir = () => join(sb.project, '.opencode/workflows/runs')
  const runIds = () => (existsSync(runsDir()) ? readdirSync(runsDir()) : [])
  const keys = (...k: string[]) => expect(tmux('send-keys', '-t', SESSION, ...k).status).toBe(0)
  /** Types a slash command and sends it (the first Enter may only pick it from the autocomplete list). */
  const command = async (text: string, until: RegExp) => {
    expect(tmux('send-keys', '-t', SESSION, '-l', text).status).toBe(0)
    await waitScreen('the typed command', new RegExp(text.replace(/[/]/g, '\\/')))
    keys('Enter')
    try {
      await waitScreen('the command sent', until, 8000)
    } catch {
      keys('Enter')
    }
    return waitScreen('the command sent', until)
  }
  const showRun = (id: string) => parseJsonOut(sb.run(['show', id, '--json']).stdout)

  beforeAll(async () => {
    sb = makeSandbox('ocdw-plugin-tui-')
    socket = join(sb.root, 'tmux.sock')
    // Approval asks, and so does the shell: the TUI's own permission dialog must come up for both.
    oc = await makeOpencodeHome(sb.root, sb.project, { rules: RULES, permission: { workflow: 'ask', bash: 'ask' } })
    const env = Object.entries(oc.env)
      .filter(([k, v]) => v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `${k}=${shellQuote(v!)}`)
      .join(' ')
    const started = tmux('new-session', '-d', '-s', SESSION, '-x', '140', '-y', '50', '-c', sb.project, `env -i ${env} ${shellQuote(oc.bin)}; echo OC-EXIT=$?; sleep 300`)
    expect(started.status, started.stderr).toBe(0)
  }, 60_000)

  afterAll(async () => {
    tmux('kill-server')
    await oc?.stop()
    sb?.cleanup()
  })

  it('/workflow → permission dialog → allow → agents done → the result reaches the conversation', async () => {
    await waitScreen('the TUI prompt', /Ask anything/, 120_000)
    const dialog = await command('/workflow tiny tui please', /Permission required/)
    expect(dialog).toContain('Call tool workflow')
    // Nothing runs before the user answers.
    expect(existsSync(runsDir()) ? readdirSync(runsDir()) : []).toEqual([])
    // The approval summary is on screen next to the dialog (OpenCode's dialog itself names only the tool).
    await waitScreen('the approval summary toast', /Approve workflow tiny\?/)
    const summary = screen()
    expect(summary).toMatch(/phases Ask/)
    expect(summary).toMatch(/two agents/) // the description
    expect(summary).toMatch(/about an open-/) // the estimate: agents in callbacks are open-ended

    tmux('send-keys', '-t', SESSION, 'Enter') // "Allow once" is selected first
    const runId = await waitFor('the run directory', () => (existsSync(runsDir()) ? readdirSync(runsDir())[0] : undefined), 60_000)
    const view = await waitFor('the run to complete', () => {
      const v = showRun(runId)
      return v.status === 'completed' && v
    }, 120_000)
    expect(view.agents.map((a: any) => [a.label, a.status])).toEqual([
      ['q1', 'done'],
      ['q2', 'done'],
    ])
    // The run's end is a real prompt: it is in the conversation and the model answered it.
    const end = await waitScreen('the woken model in the conversation', /RESULT SEEN BY THE MODEL/, 120_000)
    expect(end).toContain('[ocdw workflow tiny finished]')
    expect(end).toContain(`ocdw run ${runId}: completed`)
    expect(end).toContain('"marker": "tiny-done"')
  }, 400_000)

  it("agents' own permission requests come up in OpenCode's dialog: allowed runs, refused fails with its reason in the answer", async () => {
    // Ready for input: a fresh TUI, or the end of the previous test's conversation.
    await waitScreen('the TUI ready for input', /Ask anything|RESULT SEEN BY THE MODEL/, 120_000)
    const before = new Set(runIds())
    await command('/workflow shell tui please', /Permission required/)
    keys('Enter') // allow the workflow once
    const runId = await waitFor('the shell run', () => runIds().find((id) => !before.has(id)), 60_000)
    // The first agent's shell command, asked in OpenCode's own dialog, on the parent session's screen.
    await waitScreen("the first agent's shell permission", /echo yes > allowed-proof\.txt/)
    keys('Enter') // Allow once
    await waitFor('the allowed command to run', () => existsSync(join(sb.project, 'allowed-proof.txt')), 60_000)
    await waitScreen("the second agent's shell permission", /echo no > refused-proof\.txt/)
    keys('Right', 'Right') // Reject
    keys('Enter')
    await waitScreen('the reject confirmation', /Reject permission/)
    keys('Enter') // no message for the model: just reject
    const view = await waitFor('the shell run to end', () => {
      const v = showRun(runId)
      return v.status !== 'running' && v.agents.length === 2 && v.agents.every((a: any) => a.status !== 'running') && v
    }, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(showRun(runId).agents)}\nlast screen:\n${screen()}`)
    })
    expect(existsSync(join(sb.project, 'refused-proof.txt'))).toBe(false)
    expect(view.agents.map((a: any) => [a.label, a.status])).toEqual([
      ['allowed', 'done'],
      ['refused', 'failed'],
    ])
    expect(view.agents[1].error).toMatch(/refused the permission it asked for \(bash/)
    // The wake-up message names the failed agent and why.
    const end = await waitScreen('the outcome in the conversation', /SHELL RESULT SEEN/, 120_000)
    expect(end).toMatch(/Failed agents \(1\):/)
    expect(end).toMatch(/refused \(\S+\): The agent was refused the permission/)
  }, 400_000)
})
