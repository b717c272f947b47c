// The control channel server: lets the TUI, `ocdw stop/pause/restart` and the plugin steer a live run from another
// process. Each request line becomes exactly one actor event; `watch` streams the run's events.
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Observable } from 'rxjs'
import type { RunView } from '../machines/run-view.js'
import type { ControlCommand, RuntimeEvent } from '../machines/types.js'
import { CONTROL_FILE, ControlRequestSchema, socketPathFor } from './control-protocol.js'

export interface ControlServerOptions {
  runDir: string
  getView(): RunView
  events: Observable<RuntimeEvent>
  /** Applies a command to the run; throws an Error with a user-facing sentence when it cannot. */
  onCommand(command: ControlCommand): void
}

export interface ControlServer {
  socketPath: string
  close(): Promise<void>
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const socketPath = socketPathFor(options.runDir)
  // A socket file left by a process that died (kill -9) would make listen() fail with EADDRINUSE.
  if (existsSync(socketPath)) rmSync(socketPath, { force: true })
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    handleConnection(socket, options)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.unref()
  writeFileSync(join(options.runDir, CONTROL_FILE), JSON.stringify({ socket: socketPath, pid: process.pid }) + '\n')
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
        rmSync(join(options.runDir, CONTROL_FILE), { force: true })
        rmSync(socketPath, { force: true })
      }),
  }
}

function handleConnection(socket: Socket, options: ControlServerOptions): void {
  let buffer = ''
  const send = (msg: unknown) => {
    if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n')
  }
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line.trim()) handleLine(line, send, socket, options)
    }
  })
}

function handleLine(line: string, send: (msg: unknown) => void, socket: Socket, options: ControlServerOptions): void {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    return send({ ok: false, error: 'The control request was not JSON.' })
  }
  const parsed = ControlRequestSchema.safeParse(raw)
  if (!parsed.success) {
    return send({ id: (raw as { id?: unknown })?.id, ok: false, error: `The control request was not understood: ${parsed.error.issues[0]?.message}.` })
  }
  const req = parsed.data
  switch (req.op) {
    case 'command':
      try {
        options.onCommand(req.command as ControlCommand)
        send({ id: req.id, ok: true })
      } catch (err) {
        send({ id: req.id, ok: false, error: (err as Error).message })
      }
      break
    case 'view':
      send({ id: req.id, ok: true, view: options.getView() })
      break
    case 'watch': {
      send({ id: req.id, ok: true, type: 'view', view: options.getView() })
      const sub = options.events.subscribe({
        next: (event) => send({ type: 'event', event }),
        complete: () => socket.end(),
      })
      socket.on('close', () => sub.unsubscribe())
      break
    }
  }
}
