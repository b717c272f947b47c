// No orphans: however ocdw ends (SIGKILL of ocdw alone; SIGTERM, SIGINT or SIGHUP to its process group), every process
// it started goes away and the offline test bed's temp HOME is removed; the next start reclaims the temp homes of dead
// processes (never a live one's). The same holds for each run's private control-socket dir: removed at exit, and
// reclaimed by the next start after a kill -9 (only this uid's, only a dead run's). The watchdog that owns `opencode serve` escalates to SIGKILL when the server ignores
// SIGTERM instead of waiting for ever. Real `opencode serve` and the real CLI throughout.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeServer } from '../../src/opencode/server.js'
import { leftovers, makeSandbox, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const SLOW = `export const meta = { name: 'slow-life' }\nreturn await parallel([1, 2, 3, 4].map((i) => () => agent('slow life ' + i)))\n`
const ONE = `export const meta = { name: 'one-life' }\nreturn await agent('one life')\n`

/** Whether a process still runs (a zombie waiting for its parent to reap it has ended). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe('no orphans', () => {
  let sb: Sandbox
  let tmp: string
  let rules: string
  beforeAll(() => {
    sb = makeSandbox('ocdw-life-')
    tmp = join(sb.root, 'tmp')
    mkdirSync(tmp)
    rules = join(sb.root, 'slow-rules.json')
    writeFileSync(rules, JSON.stringify({ latencyMs: 5000, rules: [] }))
    writeFileSync(join(sb.project, 'slow.js'), SLOW)
    writeFileSync(join(sb.project, 'one.js'), ONE)
  })
  afterAll(() => sb.cleanup())

  const homes = () => readdirSync(tmp).filter((n) => n.startsWith('ocdw-offline-home-'))
  /** The control-socket dir of the run process `pid`, from its run dir's control.json (a killed run's stays behind). */
  const socketDirOf = (pid: number) => {
    const runs = join(sb.project, '.opencode/workflows/runs')
    for (const id of existsSync(runs) ? readdirSync(runs) : []) {
      const file = join(runs, id, 'control.json')
      if (!existsSync(file)) continue
      const control = JSON.parse(readFileSync(file, 'utf8')) as { socket: string; pid: number }
      if (control.pid === pid) return dirname(control.socket)
    }
    return undefined
  }
  /** The socket dir a kill -9 left behind, for the next start to reclaim. */
  let killedSocketDir: string | undefined

  for (const how of ['SIGKILL of ocdw alone', 'SIGTERM to its group', 'SIGINT to its group', 'SIGHUP to its group'] as const) {
    it(`${how}: no process and no temp home is left`, async () => {
      const child = sb.spawn(['run', '--script', 'slow.js', '--offline', '--yes'], { env: { OCDW_OFFLINE_RULES: rules, TMPDIR: tmp } })
      // Killed while agents are in flight on a live server.
      await waitFor('agents running', () => /agents run on/.test(child.output().stderr) && existsSync(join(sb.project, '.opencode/workflows/runs')), 90_000)
      expect(homes().length).toBe(1)
      expect(leftovers(sb.root).length).toBeGreaterThan(1) // ocdw, the watchdog, opencode
      let socketDir: string | undefined
      await waitFor('the run’s control socket', () => (socketDir = socketDirOf(child.pid!)) !== undefined, 30_000)
      expect(existsSync(socketDir!)).toBe(true)
      // This start reclaimed the socket dir the kill -9 before left behind.
      if (killedSocketDir) expect(existsSync(killedSocketDir)).toBe(false)
      const t0 = Date.now()
      if (how === 'SIGKILL of ocdw alone') process.kill(child.pid!, 'SIGKILL')
      else process.kill(-child.pid!, how.slice(0, how.indexOf(' ')) as NodeJS.Signals)
      await waitFor('every process ocdw started to end', () => leftovers(sb.root).length === 0, 30_000)
      await waitFor('the temp home to be removed', () => homes().length === 0, 30_000)
      if (how === 'SIGKILL of ocdw alone') {
        // Nothing runs in a process killed with -9: its socket dir stays until the next start (checked below).
        expect(existsSync(socketDir!)).toBe(true)
        killedSocketDir = socketDir
      } else {
        await waitFor('the socket dir to be removed at exit', () => !existsSync(socketDir!), 30_000)
      }
      // The deadline is 5 s; logged rather than asserted (a loaded machine must not fail the test).
      console.log(`${how}: all gone after ${Date.now() - t0} ms`)
    })
  }

  it('the next start reclaims the temp homes of dead processes, never a live one', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    const deadHome = join(tmp, 'ocdw-offline-home-dead01')
    const liveHome = join(tmp, 'ocdw-offline-home-live01')
    mkdirSync(deadHome)
    mkdirSync(liveHome)
    writeFileSync(join(deadHome, '.ocdw-owner.json'), JSON.stringify({ pid: Number(dead.stdout) }))
    writeFileSync(join(liveHome, '.ocdw-owner.json'), JSON.stringify({ pid: process.pid }))
    const r = await sb.runAsync(['run', '--script', 'one.js', '--offline', '--yes'], { env: { TMPDIR: tmp } })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(deadHome)).toBe(false)
    expect(existsSync(liveHome)).toBe(true)
    await waitFor('the run’s own temp home to be removed', () => homes().join() === 'ocdw-offline-home-live01', 30_000)
  })

  it('the next start reclaims the socket dirs of dead runs, never a live run’s or another user’s', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    const stamped = (name: string, pid: number) => {
      const dir = join(tmp, name)
      mkdirSync(dir, { mode: 0o700 })
      writeFileSync(join(dir, 'c.sock'), '')
      writeFileSync(join(dir, '.ocdw-owner.json'), JSON.stringify({ pid }))
      return dir
    }
    const deadDir = stamped('ocdw-ctl-dead01', Number(dead.stdout))
    const liveDir = stamped('ocdw-ctl-live01', process.pid)
    // A dead run's dir that belongs to another user is not ours to remove (only root can make one to test with).
    const otherDir = process.getuid?.() === 0 ? stamped('ocdw-ctl-other1', Number(dead.stdout)) : undefined
    if (otherDir) chownSync(otherDir, 65534, 65534)
    const r = await sb.runAsync(['run', '--script', 'one.js', '--offline', '--yes'], { env: { TMPDIR: tmp } })
    expect(r.code, r.stderr).toBe(0)
    expect(killedSocketDir).toBeDefined()
    expect(existsSync(deadDir)).toBe(false)
    expect(existsSync(liveDir)).toBe(true)
    if (otherDir) expect(existsSync(otherDir)).toBe(true)
    // The run's own socket dir went at its normal end.
    const left = readdirSync(tmp).filter((n) => n.startsWith('ocdw-ctl-')).sort()
    expect(left).toEqual(otherDir ? ['ocdw-ctl-live01', 'ocdw-ctl-other1'] : ['ocdw-ctl-live01'])
  })
})

describe('the watchdog of `opencode serve`', () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox('ocdw-watchdog-')
  })
  afterAll(() => sb.cleanup())

  /** A server that says it listens and ignores SIGTERM (what a busy opencode did in the crash trials). */
  function stubbornServer(): { binary: string; pidFile: string } {
    const binary = join(sb.root, 'stubborn-server')
    const pidFile = join(sb.root, 'stubborn.pid')
    writeFileSync(binary, `#!/bin/sh\ntrap '' TERM INT HUP\necho $$ > ${pidFile}\necho "opencode server listening on http://127.0.0.1:$5"\nwhile :; do sleep 1; done\n`)
    chmodSync(binary, 0o755)
    return { binary, pidFile }
  }

  it('SIGTERM to the watchdog ends a server that ignores SIGTERM, and removes its temp dir', async () => {
    const { binary, pidFile } = stubbornServer()
    const cleanupDir = join(sb.root, 'home-to-remove')
    mkdirSync(cleanupDir)
    const server = await startOpencodeServer({ cwd: sb.project, binary, cleanupDir, env: sb.env })
    const stubborn = Number(readFileSync(pidFile, 'utf8'))
    expect(alive(stubborn)).toBe(true)
    process.kill(server.pid, 'SIGTERM') // what a process-group TERM or a trial's kill does to the watchdog
    await waitFor('the stubborn server to be killed', () => !alive(stubborn), 30_000)
    await waitFor('the watchdog to end', () => !alive(server.pid), 30_000)
    expect(existsSync(cleanupDir)).toBe(false)
    await server.stop()
  })

  it('stop() ends a server that ignores SIGTERM', async () => {
    const { binary, pidFile } = stubbornServer()
    const server = await startOpencodeServer({ cwd: sb.project, binary, env: sb.env })
    const stubborn = Number(readFileSync(pidFile, 'utf8'))
    await server.stop()
    await waitFor('the stubborn server to be gone', () => !alive(stubborn), 10_000)
  })

  it('a spawned server gets a fresh random password each time', async () => {
    const { binary } = stubbornServer()
    const a = await startOpencodeServer({ cwd: sb.project, binary, env: sb.env })
    const b = await startOpencodeServer({ cwd: sb.project, binary, env: sb.env })
    try {
      expect(a.auth.password).not.toBe(b.auth.password)
      expect(a.auth.password.length).toBeGreaterThanOrEqual(32)
      const environ = readFileSync(`/proc/${a.pid}/environ`, 'utf8')
      expect(environ).toContain(`OPENCODE_SERVER_PASSWORD=${a.auth.password}\0`)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
