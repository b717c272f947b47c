// Untrusted text never drives the user's terminal (issue 12.8), and --inspect binds loopback with a port fallback
// (12.6), on the real `opencode serve` with the offline model. The model answers with OSC 52 (clipboard write), OSC 8
// (a disguised link) and screen-clearing escapes; `ocdw run` progress and result, `ocdw show` and `ocdw ui` (in a
// real terminal under tmux, its raw output bytes recorded) must carry none of them.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const EVIL = 'evil start \u001b]52;c;cHduZWQ=\u0007 \u001b]8;;http://evil.example/\u0007click me\u001b]8;;\u0007 \u001b[2J\u001bc\u001b[31m evil end'
const SCRIPT = `export const meta = { name: 'echo', phases: [{ title: 'Talk' }] }
const said = await agent('say something nasty', { label: 'talker' })
log('agent said: ' + said)
return said
`
const ESC = /[\u001b\u009b\u0007]/

let sb: Sandbox
let runId = ''
let ran: { code: number; stdout: string; stderr: string }

beforeAll(() => {
  sb = makeSandbox('ocdw-term-')
  const rules = join(sb.root, 'rules.json')
  writeFileSync(rules, JSON.stringify({ rules: [{ match: 'say something nasty', reply: { text: EVIL } }] }))
  sb.env.OCDW_OFFLINE_RULES = rules
  writeFileSync(join(sb.project, 'echo.js'), SCRIPT)
  ran = sb.run(['run', '--script', 'echo.js', '--offline', '--yes'])
  runId = /ocdw: run (wf_\w+)/.exec(ran.stderr)?.[1] ?? ''
}, 180_000)
afterAll(() => sb?.cleanup())

describe('terminal control sequences from agents', () => {
  it('`ocdw run` prints the agent text and the log line without any escape or BEL byte', () => {
    expect(ran.code, ran.stderr).toBe(0)
    expect(ran.stdout).toMatch(/evil start .*click me.* evil end/)
    expect(ran.stderr).toMatch(/agent said: evil start/)
    expect(ran.stdout).not.toMatch(ESC)
    expect(ran.stderr).not.toMatch(ESC)
  })

  it('`ocdw show` prints none either, while --json keeps the exact text (escaped)', () => {
    const shown = sb.run(['show', runId])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/evil start/)
    expect(shown.stdout).not.toMatch(ESC)
    const json = sb.run(['show', runId, '--json'])
    expect(parseJsonOut(json.stdout).result).toBe(EVIL)
  })

  it('`ocdw ls` and `ocdw workflows` print names from planted files without escapes', () => {
    const dir = join(sb.project, '.opencode', 'workflows')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'planted.js'), "export const meta = { name: 'planted', description: 'looks fine \\u001b]52;c;cHduZWQ=\\u0007 \\u001b[2J' }\nreturn 1\n")
    const wf = sb.run(['workflows'])
    expect(wf.stdout).toMatch(/planted/)
    expect(wf.stdout).not.toMatch(ESC)
    const runJson = join(sb.project, '.opencode', 'workflows', 'runs', runId, 'run.json')
    const original = readFileSync(runJson, 'utf8')
    try {
      writeFileSync(runJson, JSON.stringify({ ...JSON.parse(original), name: 'x\u001b]52;c;cHduZWQ=\u0007y' }))
      const ls = sb.run(['ls'])
      expect(ls.stdout).toMatch(new RegExp(runId))
      expect(ls.stdout).not.toMatch(ESC)
    } finally {
      writeFileSync(runJson, original)
    }
  })

  it('`ocdw ui` in a real terminal writes none of the attacker sequences', async () => {
    const socket = join(sb.root, 'tmux.sock')
    const raw = join(sb.root, 'tui-raw.out')
    const tmuxEnv = { ...process.env }
    delete tmuxEnv.TMUX
    const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: tmuxEnv })
    const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
    const env = ['HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'OCDW_TEST_SANDBOX', 'NO_COLOR']
      .map((k) => `${k}=${sh(sb.env[k]!)}`)
      .join(' ')
    try {
      // The pane starts on a blocking read, so the raw recorder is attached before the TUI writes its first byte.
      const cmd = `read go; env -u OPENCODE_SERVER_URL ${env} ${sh(process.execPath)} ${sh(BIN)} ui; sleep 60`
      expect(tmux('new-session', '-d', '-s', 'ui', '-x', '160', '-y', '45', '-c', sb.project, cmd).status).toBe(0)
      expect(tmux('pipe-pane', '-o', '-t', 'ui', `cat >> ${sh(raw)}`).status).toBe(0)
      tmux('send-keys', '-t', 'ui', 'Enter')
      const screen = () => tmux('capture-pane', '-p', '-t', 'ui').stdout ?? ''
      await waitFor('the run in the runs list', () => screen().includes(runId), 60_000)
      tmux('send-keys', '-t', 'ui', 'Enter')
      await waitFor('the log line on the run screen', () => /agent said: evil start/.test(screen()), 30_000)
      tmux('send-keys', '-t', 'ui', 'Enter')
      tmux('send-keys', '-t', 'ui', 'Enter')
      await waitFor('the agent detail with its output', () => /talker/.test(screen()) && /evil end/.test(screen()), 30_000)
      tmux('send-keys', '-t', 'ui', 'q')
      // Read the recording once the TUI has exited (the pane then runs `sleep`). Blessed writes only changed cells,
      // so the visible text may be split by cursor moves: the screen checks above show it arrived.
      await waitFor('the TUI to exit', () => tmux('display-message', '-p', '-t', 'ui', '#{pane_current_command}').stdout.trim() === 'sleep', 30_000)
      const bytes = readFileSync(raw, 'latin1')
      expect(bytes.length).toBeGreaterThan(0)
      expect(bytes).not.toContain('\u001b]52')
      expect(bytes).not.toContain('cHduZWQ=')
      expect(bytes).not.toContain('\u001b]8;')
      expect(bytes).not.toContain('evil.example')
      expect(bytes).not.toContain('\u001bc')
    } finally {
      tmux('kill-server')
    }
  }, 180_000)
})

describe('--inspect', () => {
  let blocker: Server
  afterAll(() => blocker?.close())

  it('falls back to a free port on 127.0.0.1 when its port is taken, with a sentence and no stack trace', async () => {
    blocker = createServer()
    const port = await new Promise<number>((r) => blocker.listen(0, '0.0.0.0', () => r((blocker.address() as { port: number }).port)))
    const r = await sb.runAsync(['run', '--script', 'echo.js', '--offline', '--yes', '--inspect'], { env: { OCDW_INSPECT_PORT: String(port), CI: '1' } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(new RegExp(`the inspector port ${port} is in use, so the inspector listens on port \\d+ instead`))
    expect(r.stderr).toMatch(/actor inspection: open http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32} in a browser/)
    expect(r.stderr).not.toMatch(/\n\s+at |EADDRINUSE/)
  }, 180_000)
})
