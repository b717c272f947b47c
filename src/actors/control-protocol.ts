// The control channel's wire format: newline-delimited JSON over a unix socket owned by the process running a run.
// Commands are the workflow actor's own events (ControlCommand); nothing else can change a run.
import { chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { makeOwnedTempDir, reclaimDeadTempDirs } from '../store/temp-dirs.js'

export const ControlCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('STOP') }),
  z.object({ type: z.literal('PAUSE') }),
  z.object({ type: z.literal('RESUME') }),
  z.object({ type: z.literal('STOP_AGENT'), key: z.string().min(1) }),
  z.object({ type: z.literal('RESTART_AGENT'), key: z.string().min(1) }),
  z.object({
    type: z.literal('PERMISSION_REPLY'),
    key: z.string().min(1),
    requestId: z.string().min(1),
    reply: z.enum(['once', 'always', 'reject']),
  }),
])

export const ControlRequestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('command'), command: ControlCommandSchema }),
  z.object({ id: z.number(), op: z.literal('view') }),
  z.object({ id: z.number(), op: z.literal('watch') }),
])
export type ControlRequest = z.infer<typeof ControlRequestSchema>

/** The file in the run dir that names the socket (unix socket paths are limited to ~107 bytes, run dirs are not). */
export const CONTROL_FILE = 'control.json'

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
