// The control channel server: lets the TUI, `ocdw stop/pause/restart` and the plugin steer a live run from another
// process. Each request line becomes exactly one actor event; `watch` streams the run's events.
import { chmodSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import type { Observable } from 'rxjs'
import type { RunView } from '../machines/run-view.js'
import type { ControlCommand, RuntimeEvent } from '../machines/types.js'
import { writeFileAtomic } from '../store/atomic.js'
import { runPaths } from '../store/run-dir.js'
import { ControlRequestSchema, makeSocketDir, MAX_LINE_BYTES, readLines, reclaimDeadSocketDirs } from './control-protocol.js'

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
  // A fresh 0700 directory per run: no path shared between runs (no EADDRINUSE, nothing stale to remove) and no
  // other user can connect whatever the umask. Dirs left by runs that died (kill -9) are reclaimed first.
  reclaimDeadSocketDirs()
  const { dir: socketDir, socketPath } = makeSocketDir()
  // However the process ends short of close() (a signal's process.exit, an uncaught error), the dir goes with it.
  const removeDir = () => rmSync(socketDir, { recursive: true, force: true })
  process.on('exit', removeDir)
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    handleConnection(socket, options)
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socketPath, () => {
        server.off('error', reject)
        resolve()
      })
    })
    chmodSync(socketPath, 0o600)
  } catch (err) {
    process.off('exit', removeDir)
    removeDir()
    throw err
  }
  server.unref()
  writeFileAtomic(runPaths(options.runDir).control, JSON.stringify({ socket: socketPath, pid: process.pid }) + '\n', { durable: false })
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
        rmSync(runPaths(options.runDir).control, { force: true })
        process.off('exit', removeDir)
        removeDir()
      }),
  }
}

function handleConnection(socket: Socket, options: ControlServerOptions): void {
  const send = (msg: unknown) => {
    if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n')
  }
  socket.setEncoding('utf8')
  readLines(socket, MAX_LINE_BYTES, (line) => handleLine(line, send, socket, options), () => socket.destroy())
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
        if (req.command.type === 'PERMISSION_REPLY') checkPermissionPending(options.getView(), req.command.key, req.command.requestId)
        options.onCommand(req.command)
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

/** A permission reply is only passed on for the request the agent is actually waiting on. */
function checkPermissionPending(view: RunView, key: string, requestId: string): void {
  const agent = view.agents.find((a) => a.key === key)
  if (!agent) throw new Error(`The run has no agent with key ${key}; \`ocdw show\` lists the keys.`)
  if (agent.permission?.requestId !== requestId) {
    throw new Error(`Agent ${key} is not waiting on permission request ${requestId}; \`ocdw show\` lists the pending requests.`)
  }
}
