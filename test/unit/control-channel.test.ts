// The control channel as another local user or a hostile peer would meet it (issue 12.5): the socket is private
// whatever the umask, long TMPDIRs do not make runs share one socket, an endless line is dropped without growing the
// process, and a permission reply is only passed on for a request that is pending.
import { mkdtempSync, rmSync, statSync, mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, describe, expect, it } from 'vitest'
import { emptyRunView, type RunView } from '../../src/machines/run-view.js'
import type { ControlCommand, RuntimeEvent } from '../../src/machines/types.js'
import { startControlServer, type ControlServer } from '../../src/actors/control-server.js'
import { fetchLiveView, sendControl } from '../../src/actors/control-client.js'
import { MAX_SOCKET_PATH } from '../../src/actors/control-protocol.js'

const dirs: string[] = []
const servers: ControlServer[] = []
afterAll(async () => {
  for (const s of servers) await s.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function runDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ocdw-ctl-'))
  dirs.push(d)
  return d
}

async function serve(view: RunView = emptyRunView('wf_t'), dir = runDir()) {
  const commands: ControlCommand[] = []
  const server = await startControlServer({ runDir: dir, getView: () => view, events: new Subject<RuntimeEvent>(), onCommand: (c) => commands.push(c) })
  servers.push(server)
  return { server, commands, dir }
}

describe('control channel', () => {
  it('creates the socket 0600 inside a 0700 directory even under umask 000', async () => {
    const old = process.umask(0)
    let s
    try {
      s = await serve()
    } finally {
      process.umask(old)
    }
    expect(statSync(s.server.socketPath).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(s.server.socketPath)).mode & 0o777).toBe(0o700)
    expect(statSync(join(s.dir, 'control.json')).isFile()).toBe(true)
  })

  it('gives each run its own short socket when TMPDIR is very long', async () => {
    const long = join(tmpdir(), 'ocdw-long-' + 'x'.repeat(120))
    mkdirSync(long, { recursive: true })
    dirs.push(long)
    const old = process.env.TMPDIR
    process.env.TMPDIR = long
    try {
      const a = await serve()
      const b = await serve()
      expect(a.server.socketPath).not.toBe(b.server.socketPath)
      expect(a.server.socketPath.length).toBeLessThanOrEqual(MAX_SOCKET_PATH)
      await sendControl(a.dir, { type: 'PAUSE' })
      await sendControl(b.dir, { type: 'PAUSE' })
      expect(a.commands).toEqual([{ type: 'PAUSE' }])
      expect(b.commands).toEqual([{ type: 'PAUSE' }])
    } finally {
      if (old === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = old
    }
  })

  it('drops a peer that sends a line longer than the cap, and keeps serving', async () => {
    const s = await serve()
    const before = process.memoryUsage().rss
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect(s.server.socketPath)
      sock.on('error', () => undefined)
      sock.on('close', () => resolve(true))
      const chunk = 'a'.repeat(1024 * 1024)
      let sent = 0
      const pump = () => {
        while (sent < 64 && !sock.destroyed) {
          sent++
          if (!sock.write(chunk)) return void sock.once('drain', pump)
        }
      }
      sock.on('connect', pump)
    })
    expect(closed).toBe(true)
    // 64 MB were offered; the server kept at most about one line of it.
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024)
    expect((await fetchLiveView(s.dir)).runId).toBe('wf_t')
  }, 60_000)

  it('passes a permission reply on only for a pending request', async () => {
    const view = emptyRunView('wf_p')
    view.agents.push({
      key: 'k1', label: 'a', phase: 'Main', prompt: 'p', status: 'running', attempt: 1, tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      cost: 0, cached: false, queuedAt: 0, tools: [], permission: { requestId: 'per_1', permission: 'bash', patterns: ['ls'] },
    })
    const s = await serve(view)
    await expect(sendControl(s.dir, { type: 'PERMISSION_REPLY', key: 'k1', requestId: 'per_forged', reply: 'always' })).rejects.toThrow(/not waiting on permission request per_forged/)
    await expect(sendControl(s.dir, { type: 'PERMISSION_REPLY', key: 'nope', requestId: 'per_1', reply: 'once' })).rejects.toThrow(/no agent with key nope/)
    expect(s.commands).toEqual([])
    await sendControl(s.dir, { type: 'PERMISSION_REPLY', key: 'k1', requestId: 'per_1', reply: 'once' })
    expect(s.commands).toEqual([{ type: 'PERMISSION_REPLY', key: 'k1', requestId: 'per_1', reply: 'once' }])
  })
})

describe('control client', () => {
  it('does not trust a planted control.json that names a socket in a directory others can enter', async () => {
    const { writeFileSync, chmodSync } = await import('node:fs')
    const { createServer } = await import('node:net')
    const { liveSocketOf } = await import('../../src/actors/control-client.js')
    const shared = mkdtempSync(join(tmpdir(), 'ocdw-shared-'))
    dirs.push(shared)
    chmodSync(shared, 0o777)
    const sock = join(shared, 's.sock')
    const rogue = createServer(() => undefined)
    await new Promise<void>((r) => rogue.listen(sock, r))
    try {
      const dir = runDir()
      writeFileSync(join(dir, 'control.json'), JSON.stringify({ socket: sock, pid: process.pid }))
      expect(liveSocketOf(dir)).toBeUndefined()
      await expect(sendControl(dir, { type: 'STOP' })).rejects.toThrow(/No process is running this run/)
      // The same socket moved into a private directory is accepted (what a real run creates).
      chmodSync(shared, 0o700)
      expect(liveSocketOf(dir)).toBe(sock)
    } finally {
      rogue.close()
    }
  })
})
