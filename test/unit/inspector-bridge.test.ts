// The --inspect bridge (issue 12.6): bound to 127.0.0.1, a taken port falls back to a free one with a sentence, and
// only a client that knows the page's random token can read the run's inspection events.
import { createServer, type Server } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startInspectorBridge, type InspectorBridge } from '../../src/cli/inspector.js'

const bridges: InspectorBridge[] = []
const blockers: Server[] = []
afterAll(() => {
  bridges.forEach((b) => b.stop())
  blockers.forEach((s) => s.close())
})

function occupy(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    blockers.push(s)
    s.listen(0, host, () => resolve((s.address() as { port: number }).port))
  })
}

/** Connects; `got` collects message names from the first byte on (kept events can arrive with the handshake). */
const open = (url: string) =>
  new Promise<WebSocket & { got: string[] }>((resolve, reject) => {
    const ws = Object.assign(new WebSocket(url), { got: [] as string[] })
    ws.on('message', (m) => ws.got.push(JSON.parse(String(m)).name))
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })

describe('inspector bridge', () => {
  it('falls back to a free port on 127.0.0.1 with a sentence when the port is taken', async () => {
    const taken = await occupy('0.0.0.0')
    const said: string[] = []
    const b = await startInspectorBridge({ port: taken, say: (l) => said.push(l) })
    bridges.push(b)
    expect(b.port).not.toBe(taken)
    expect(said).toEqual([expect.stringMatching(new RegExp(`port ${taken} is in use, so the inspector listens on port ${b.port} instead`))])
    expect(b.pageUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${b.port}/[0-9a-f]{32}$`))
  })

  it('serves the page and relays events only under its token', async () => {
    const b = await startInspectorBridge({ port: 0 })
    bridges.push(b)
    const page = await fetch(b.pageUrl)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/stately\.ai\/inspect/)
    expect((await fetch(`http://127.0.0.1:${b.port}/`)).status).toBe(404)
    await expect(open(`ws://127.0.0.1:${b.port}/`)).rejects.toThrow()

    const until = (what: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const t = setInterval(() => what() && (clearInterval(t), resolve()), 20)
        setTimeout(() => (clearInterval(t), reject(new Error('timed out'))), 20_000)
      })
    const run = await open(b.socketUrl)
    const first = await open(b.socketUrl)
    const seenFirst = first.got
    run.send(JSON.stringify({ type: '@xstate.actor', name: 'early' }))
    await until(() => seenFirst.length === 1)
    // A page that opens late still gets what was sent before it connected.
    const viewer = await open(b.socketUrl)
    const got = viewer.got
    await until(() => got.length === 1)
    run.send(JSON.stringify({ type: '@xstate.event', name: 'later' }))
    await until(() => got.length === 2)
    expect(got).toEqual(['early', 'later'])
    first.close()
    run.close()
    viewer.close()
  })

  it('does not listen on other interfaces', async () => {
    const b = await startInspectorBridge({ port: 0 })
    bridges.push(b)
    // Another address of this machine (not loopback) cannot reach it; 0.0.0.0 binding would accept it.
    const { networkInterfaces } = await import('node:os')
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address
    if (!external) return // no non-loopback interface in this environment: the 127.0.0.1 URL above is the check
    await expect(fetch(`http://${external}:${b.port}/`)).rejects.toThrow()
  })
})
