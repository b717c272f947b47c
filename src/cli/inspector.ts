// `--inspect`: a local bridge between the run's xstate inspection events and the Stately inspector page in a browser
// (issue 12.6). It listens on 127.0.0.1 only, under a random path token (inspection events carry prompts and results:
// another local user or a web page must not read them by guessing the port), falls back to a free port when the
// asked one is taken, and prints the page to open. The run sends its events to the bridge over a WebSocket; the
// bridge relays them to every page connected with the same token and keeps the last ones for a page that opens late.
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { UsageError } from './errors.js'

export const DEFAULT_INSPECT_PORT = 8080
const HOST = '127.0.0.1'
const KEEP_EVENTS = 500
const INSPECTOR_PAGE = 'https://stately.ai/inspect'

export interface InspectorBridge {
  /** The page to open in a browser. */
  pageUrl: string
  /** Where the run sends its inspection events. */
  socketUrl: string
  port: number
  stop(): void
}

/** OCDW_INSPECT_PORT, else 8080 (the Stately inspector's default). */
export function inspectPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OCDW_INSPECT_PORT
  if (raw === undefined || raw === '') return DEFAULT_INSPECT_PORT
  const port = Number(raw)
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new UsageError(`OCDW_INSPECT_PORT=${raw} is not a TCP port; set it to a free port between 1 and 65535, or unset it for ${DEFAULT_INSPECT_PORT}.`)
  }
  return port
}

/** Starts the bridge; `say` gets one sentence when the asked port was taken and another was used. */
export async function startInspectorBridge(o: { port?: number; say?: (line: string) => void } = {}): Promise<InspectorBridge> {
  const wanted = o.port ?? inspectPort()
  const token = randomBytes(16).toString('hex')
  const path = `/${token}`
  const server = http.createServer((req, res) => {
    if (req.url !== path && req.url !== `${path}/`) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found.\n')
      return
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(bridgePage())
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== path) {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  const kept: string[] = []
  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate())
    for (const msg of kept) ws.send(msg)
    ws.on('message', (data) => {
      const msg = data.toString()
      kept.push(msg)
      if (kept.length > KEEP_EVENTS) kept.shift()
      for (const peer of wss.clients) if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(msg)
    })
  })
  let port: number
  try {
    port = await listen(server, wanted)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err
    port = await listen(server, 0)
    o.say?.(`the inspector port ${wanted} is in use, so the inspector listens on port ${port} instead (set OCDW_INSPECT_PORT to choose one).`)
  }
  server.on('error', () => undefined)
  server.unref()
  return {
    port,
    pageUrl: `http://${HOST}:${port}${path}`,
    socketUrl: `ws://${HOST}:${port}${path}`,
    stop() {
      for (const c of wss.clients) c.terminate()
      wss.close()
      server.close()
      server.closeAllConnections()
    },
  }
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(port, HOST, () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/** The page: the Stately inspector in a frame, fed with the events this bridge relays (same origin, same token). */
function bridgePage(): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>ocdw - Stately inspector</title>
<style>html,body,iframe{margin:0;width:100%;height:100%;border:0}</style></head>
<body><iframe id="inspector" src="${INSPECTOR_PAGE}"></iframe>
<script>
  const frame = document.getElementById('inspector')
  const waiting = []
  let ready = false
  addEventListener('message', (e) => {
    if (e.source === frame.contentWindow && e.data && e.data.type === '@statelyai.connected') {
      ready = true
      while (waiting.length) frame.contentWindow.postMessage(waiting.shift(), '${new URL(INSPECTOR_PAGE).origin}')
    }
  })
  const ws = new WebSocket(location.href.replace(/^http/, 'ws').replace(/\\/$/, ''))
  ws.onmessage = (m) => {
    const event = JSON.parse(m.data)
    if (ready) frame.contentWindow.postMessage(event, '${new URL(INSPECTOR_PAGE).origin}')
    else waiting.push(event)
  }
</script></body></html>
`
}
