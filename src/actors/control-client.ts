// The control channel client: how another process (TUI, `ocdw stop`, the plugin) reaches a live run.
import { lstatSync, readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { dirname } from 'node:path'
import type { RunView } from '../machines/run-view.js'
import type { ControlCommand, RuntimeEvent } from '../machines/types.js'
import { readLines, type ControlReply } from './control-protocol.js'
import { runPaths } from '../store/run-dir.js'

/** The socket of a live run, or undefined when no process is serving it (finished or crashed). */
export function liveSocketOf(runDir: string): string | undefined {
  try {
    const info = JSON.parse(readFileSync(runPaths(runDir).control, 'utf8')) as { socket: string; pid: number }
    process.kill(info.pid, 0)
    return ownPrivateSocket(info.socket) ? info.socket : undefined
  } catch {
    return undefined
  }
}

/**
 * control.json is a file in the project, so it may have been planted: only a socket this user owns, in a directory
 * this user owns that nobody else can enter (as the run process creates it), is trusted to be a run of ours.
 */
function ownPrivateSocket(socketPath: unknown): boolean {
  if (typeof socketPath !== 'string' || !socketPath) return false
  const uid = process.getuid?.()
  try {
    const sock = lstatSync(socketPath)
    const dir = lstatSync(dirname(socketPath))
    if (!sock.isSocket() || !dir.isDirectory()) return false
    return uid === undefined || (sock.uid === uid && dir.uid === uid && (dir.mode & 0o077) === 0)
  } catch {
    return false
  }
}

/** Longest line read from a run (a whole view of a big run is a few MB); past it the connection is dropped. */
const MAX_REPLY_LINE = 256 * 1024 * 1024

function open(runDir: string): Promise<Socket> {
  const socketPath = liveSocketOf(runDir)
  if (!socketPath) {
    return Promise.reject(new Error(`No process is running this run (${runDir}); resume it with \`ocdw resume\` first.`))
  }
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    socket.setEncoding('utf8')
    socket.once('connect', () => resolve(socket))
    socket.once('error', (err) =>
      reject(new Error(`Could not reach the process running ${runDir} (${(err as NodeJS.ErrnoException).code ?? err.message}); it may have just ended.`)),
    )
  })
}

function lines(socket: Socket, onLine: (msg: ControlReply) => void): void {
  readLines(socket, MAX_REPLY_LINE, (line) => onLine(JSON.parse(line) as ControlReply), () =>
    socket.destroy(new Error('The run sent a reply line longer than 256 MB, so the connection was dropped.')),
  )
}

async function request(runDir: string, body: Record<string, unknown>): Promise<ControlReply> {
  const socket = await open(runDir)
  return new Promise((resolve, reject) => {
    lines(socket, (msg) => {
      socket.end()
      if (msg.ok) resolve(msg)
      else reject(new Error(msg.error))
    })
    socket.once('close', () => reject(new Error('The run closed the control connection before answering.')))
    socket.write(JSON.stringify({ id: 1, ...body }) + '\n')
  })
}

/** Sends one control command (an actor event) to a live run. */
export async function sendControl(runDir: string, command: ControlCommand): Promise<void> {
  await request(runDir, { op: 'command', command })
}

/** The live run's current view. */
export async function fetchLiveView(runDir: string): Promise<RunView> {
  return (await request(runDir, { op: 'view' })).view as RunView
}

/** Streams a live run: first its whole view, then every runtime event. Returns an unsubscribe function. */
export async function watchLive(
  runDir: string,
  handlers: { view(view: RunView): void; event(event: RuntimeEvent): void; end?(): void },
): Promise<() => void> {
  const socket = await open(runDir)
  lines(socket, (msg) => {
    if (msg.type === 'view') handlers.view(msg.view as RunView)
    else if (msg.type === 'event') handlers.event(msg.event as RuntimeEvent)
  })
  socket.on('close', () => handlers.end?.())
  socket.write(JSON.stringify({ id: 1, op: 'watch' }) + '\n')
  return () => socket.destroy()
}
