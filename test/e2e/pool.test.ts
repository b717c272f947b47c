// A pool of OpenCode servers (issue 17.3) on real `opencode serve` processes, each with its own offline model (so each
// server's request log tells which server answered what): one server is killed with SIGKILL while agents run on it;
// the run completes, every agent is journaled exactly once, no prompt was answered twice except the ones in flight on
// the killed server at the kill, the run's log names the failover, and the server restarted in place rejoins (agents
// go to it again). A wrong password for one of several servers stops the run before it starts, with a sentence.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { startOpencodeServer, type OpencodeServer } from '../../src/opencode/server.js'
import { makeSandbox, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const FIRST = 30
const SECOND = 12

/** Phase 1 keeps every server busy; a gate holds the run until the test has restarted the killed server; phase 2
 *  shows where agents go after it rejoined. */
const SCRIPT = `export const meta = { name: 'pool-failover' }
const first = await parallel(Array.from({ length: ${FIRST} }, (_, i) => () => agent('pool first ' + i)))
await gate('while [ ! -f "' + args.go + '" ]; do sleep 0.2; done')
const second = await parallel(Array.from({ length: ${SECOND} }, (_, i) => () => agent('pool second ' + i)))
return first.filter((r) => r !== null).length + second.filter((r) => r !== null).length
`

interface LogLine {
  lastUser: string
  startedAt: string
}

function logOf(bed: OfflineTestbed): LogLine[] {
  if (!existsSync(bed.logFile)) return []
  return readFileSync(bed.logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.lastUser.startsWith('pool '))
}

describe('a pool of OpenCode servers', () => {
  let sb: Sandbox
  const beds: OfflineTestbed[] = []
  const restarted: OpencodeServer[] = []
  beforeAll(async () => {
    sb = makeSandbox('ocdw-pool-')
    writeFileSync(join(sb.project, 'pool.js'), SCRIPT)
    for (let i = 0; i < 3; i++) beds.push(await startOfflineTestbed({ projectDir: sb.project, latencyMs: 1500, logFile: join(sb.root, `model-${i}.log`) }))
    // Two agents per server: each server stays busy through phase 1, so the kill always lands on agents in flight.
    mkdirSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode'), { recursive: true })
    writeFileSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'ocdw.json'), JSON.stringify({ concurrency: { 'ocdw-offline/offline': 2 } }))
  }, 240_000)
  afterAll(async () => {
    for (const s of restarted) await s.stop().catch(() => undefined)
    for (const b of beds) await b.stop().catch(() => undefined)
    sb.cleanup()
  })

  it('a server killed mid-run: its agents finish on the others, none is lost or answered twice, and it rejoins when restarted', async () => {
    const [a, b, c] = beds as [OfflineTestbed, OfflineTestbed, OfflineTestbed]
    const go = join(sb.root, 'go')
    const env = { PA: a.auth.password, PB: b.auth.password, PC: c.auth.password }
    const args = ['run', '--script', 'pool.js', '--yes', '--args', JSON.stringify({ go })]
    for (const [bed, name] of [[a, 'PA'], [b, 'PB'], [c, 'PC']] as const) args.push('--server', bed.url, '--server-password-env', name)
    const child = sb.spawn(args, { env })
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)))
    const stderr = () => child.output().stderr

    await waitFor('two phase-1 answers from server B', () => logOf(b).length >= 2, 180_000)
    const killedAt = Date.now()
    process.kill(-b.pid, 'SIGKILL')
    await waitFor('the run to take server B out', () => stderr().includes('2 of 3 OpenCode servers answer'), 120_000)

    // Restarted in place: same port, same password, same home.
    restarted.push(await startOpencodeServer({ cwd: sb.project, env: b.env, port: Number(new URL(b.url).port), auth: b.auth }))
    const restartedAt = Date.now()
    await waitFor('server B to rejoin', () => stderr().includes('3 of 3 OpenCode servers answer'), 120_000)
    writeFileSync(go, '')
    const code = await exited
    expect(code, stderr()).toBe(0)
    expect(child.output().stdout.trim()).toBe(String(FIRST + SECOND))

    // The journal: every agent finished exactly once.
    const runs = join(sb.project, '.opencode', 'workflows', 'runs')
    const runDir = join(runs, readdirSync(runs).find((d) => d.startsWith('wf_'))!)
    const done = readFileSync(join(runDir, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.t === 'agent.done')
    expect(done).toHaveLength(FIRST + SECOND)
    expect(new Set(done.map((e) => e.key)).size).toBe(FIRST + SECOND)

    // The models' logs: each prompt answered once by a server that lived, plus at most the request that was in
    // flight on server B when it was killed.
    const live = new Map<string, number>()
    const inFlightAtKill = new Set<string>()
    for (const bed of beds) {
      for (const line of logOf(bed)) {
        if (bed === b && Date.parse(line.startedAt) < killedAt && !line.lastUser.startsWith('pool second')) {
          // Answered by B before the kill: counts as live unless the agent ran again elsewhere (checked below).
          inFlightAtKill.add(line.lastUser)
        }
        live.set(line.lastUser, (live.get(line.lastUser) ?? 0) + 1)
      }
    }
    const prompts = [...Array.from({ length: FIRST }, (_, i) => `pool first ${i}`), ...Array.from({ length: SECOND }, (_, i) => `pool second ${i}`)]
    for (const p of prompts) {
      const n = live.get(p) ?? 0
      expect(n, `${p} answered ${n} times`).toBeGreaterThanOrEqual(1)
      expect(n, `${p} answered ${n} times`).toBeLessThanOrEqual(inFlightAtKill.has(p) ? 2 : 1)
    }
    // The failover really happened (agents were moved), and is named in the progress and in the run's view.
    expect(stderr()).toMatch(/The agent runs again on another OpenCode server/)
    const view = JSON.parse(readFileSync(join(runDir, 'view.json'), 'utf8')) as { log: { message: string }[] }
    const logText = view.log.map((l) => l.message).join('\n')
    expect(logText).toContain(`OpenCode server ${b.url} stopped answering`)
    expect(logText).toContain(`OpenCode server ${b.url} answers again`)
    // Rejoined: phase-2 agents went to the restarted server too.
    expect(logOf(b).filter((l) => l.lastUser.startsWith('pool second') && Date.parse(l.startedAt) >= restartedAt).length).toBeGreaterThan(0)
  }, 600_000)

  it('--server twice with a wrong password for one: a sentence naming that server, exit 1, no run started', async () => {
    const [a, , c] = beds as [OfflineTestbed, OfflineTestbed, OfflineTestbed]
    const runs = join(sb.project, '.opencode', 'workflows', 'runs')
    const runDirs = () => (existsSync(runs) ? readdirSync(runs).filter((d) => d.startsWith('wf_')).length : 0)
    const before = runDirs()
    const r = await sb.runAsync(['run', '--script', 'pool.js', '--yes', '--server', a.url, '--server', c.url, '--server-password-env', 'PA', '--server-password-env', 'PC'], {
      env: { PA: a.auth.password, PC: 'not-the-password' },
    })
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain(`The OpenCode server at ${c.url} refused the password in PC`)
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('ocdw:') && /refused/.test(l))).toHaveLength(1)
    expect(runDirs()).toBe(before)
  }, 120_000)
})
