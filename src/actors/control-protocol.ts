// The control channel's wire format: newline-delimited JSON over a unix socket owned by the process running a run.
// Commands are the workflow actor's own events (ControlCommand); nothing else can change a run.
import { chmodSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { ControlCommandSchema } from '../machines/control-command.js'
import type { RunView } from '../machines/run-view.js'
import type { RuntimeEvent } from '../machines/types.js'
import { makeOwnedTempDir, reclaimDeadTempDirs } from '../store/temp-dirs.js'

export const ControlRequestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('command'), command: ControlCommandSchema }),
  z.object({ id: z.number(), op: z.literal('view') }),
  z.object({ id: z.number(), op: z.literal('watch') }),
])
export type ControlRequest = z.infer<typeof ControlRequestSchema>

/** What the server writes back: a reply to one request (`ok`), or, on a `watch`, the whole view then each event. */
export interface ControlReply {
  id?: unknown
  ok?: boolean
  error?: string
  type?: 'view' | 'event'
  view?: RunView
  event?: RuntimeEvent
}

/**
 * Calls `onLine` with each non-blank line the socket sends (both ends speak newline-delimited JSON). A peer that
 * sends more than `maxBytes` without a newline must not grow this process without bound: `onOverflow` drops it.
 */
export function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void, onOverflow: () => void): void {
  let buffer = ''
  socket.on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line.trim()) onLine(line)
    }
    if (buffer.length > maxBytes) {
      buffer = ''
      onOverflow()
    }
  })
}

/** Longest request line the server reads (a line without a newline past this drops the connection). */
export const MAX_LINE_BYTES = 1024 * 1024

/** Unix socket paths are cut at ~104-108 bytes (sun_path); stay well under so a path is never silently shared. */
export const MAX_SOCKET_PATH = 100
const SOCKET_NAME = 'c.sock'
/** Socket dirs are `<temp>/ocdw-ctl-XXXXXX`; a prefix of their own so reclaiming them never matches other ocdw dirs. */
export const SOCKET_DIR_PREFIX = 'ocdw-ctl-'

/** The temp dirs a socket dir may live in (see makeSocketDir). */
export const socketDirBases = (): string[] => [...new Set([tmpdir(), '/tmp'])]

/** Removes the socket dirs (of this uid only) whose run process is gone, e.g. after kill -9. Never throws. */
export function reclaimDeadSocketDirs(): number {
  return socketDirBases().reduce((n, base) => n + reclaimDeadTempDirs(SOCKET_DIR_PREFIX, Date.now(), base), 0)
}

/**
 * A fresh private directory for one run's socket: mkdtemp (unguessable, created by us, so no other user can have
 * planted it) and chmod 0700 whatever the umask, so only this user can reach the socket inside. When TMPDIR is so
 * long that the socket path would pass the sun_path limit, /tmp is used instead. The dir carries an owner stamp
 * (pid + start time) so the next start can reclaim it when this process dies without cleaning up.
 */
export function makeSocketDir(): { dir: string; socketPath: string } {
  for (const base of socketDirBases()) {
    if (join(base, SOCKET_DIR_PREFIX + 'XXXXXX', SOCKET_NAME).length > MAX_SOCKET_PATH) continue
    const dir = makeOwnedTempDir(SOCKET_DIR_PREFIX, base)
    chmodSync(dir, 0o700)
    return { dir, socketPath: join(dir, SOCKET_NAME) }
  }
  throw new Error(`The temp directory ${tmpdir()} is too long for a control socket path and /tmp is too; set TMPDIR to a short directory.`)
}
