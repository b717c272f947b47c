// The run lock: one process writes a run. On Linux the lock is an abstract unix socket named after the run dir and
// bound by the live process: binding is atomic (of any number of racers exactly one gets it) and the kernel drops it
// the instant its process dies, so a crashed run's lock is never stale and there is no takeover to race. The `lock`
// file beside it only says who holds it (pid, host) for the messages. Elsewhere the file itself is the lock
// (created exclusively; a dead holder's file is taken over, best effort).
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { connect, createServer, type Server } from 'node:net'
import { hostname } from 'node:os'
import { writeFileAtomic } from './atomic.js'
import { runPaths } from './run-dir.js'

export class RunLockedError extends Error {
  readonly exitCode = 2
}

export interface RunLock {
  release(): void
}

const ABSTRACT = process.platform === 'linux'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function readLock(runDir: string): { pid: number; host: string } | undefined {
  try {
    return JSON.parse(readFileSync(runPaths(runDir).lock, 'utf8'))
  } catch {
    return undefined
  }
}

/** The abstract socket name of a run dir's lock (sun_path holds 107 bytes; run dirs can be longer). */
function lockName(runDir: string): string {
  let real = runDir
  try {
    real = realpathSync(runDir)
  } catch {
    /* not there yet: the path as given */
  }
  return `\0ocdw-run-lock-${createHash('sha256').update(real).digest('hex').slice(0, 40)}`
}

const lockedMessage = (runDir: string, held: { pid?: number; host?: string } | undefined) =>
  held?.pid
    ? `The run in ${runDir} is in use by process ${held.pid} on ${held.host ?? hostname()}; stop it with \`ocdw stop\`, or wait for it to end.`
    : `The run in ${runDir} is in use by another process; stop it with \`ocdw stop\`, or wait for it to end.`

/** True when a live process holds the run's lock (on this host; a lock file from another host counts too). */
export async function isLockHeld(runDir: string): Promise<boolean> {
  const held = readLock(runDir)
  if (held && held.host !== hostname()) return true
  if (!ABSTRACT) return !!held && held.pid !== process.pid && alive(held.pid)
  return new Promise((resolve) => {
    const socket = connect(lockName(runDir))
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** True when a live process (on this host) names itself in the lock file: a quick check for messages. */
export function isLocked(runDir: string): boolean {
  const held = readLock(runDir)
  return !!held && held.host === hostname() && held.pid !== process.pid && alive(held.pid)
}

export async function acquireLock(runDir: string): Promise<RunLock> {
  if (!ABSTRACT) return acquireFileLock(runDir)
  const server: Server = createServer((socket) => socket.destroy())
  const bound = await new Promise<true | Error>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code === 'EADDRINUSE' ? new RunLockedError(lockedMessage(runDir, readLock(runDir))) : err)
    })
    try {
      server.listen(lockName(runDir), () => resolve(true))
    } catch (err) {
      resolve(err as Error)
    }
  })
  if (bound instanceof RunLockedError) throw bound
  // A runtime without abstract sockets (the plugin runs inside OpenCode's own runtime): the file lock instead.
  if (bound !== true) return acquireFileLock(runDir)
  server.unref()
  // A lock file from another host (a shared file system) is one this host cannot check: refuse rather than guess.
  const held = readLock(runDir)
  if (held && held.host !== hostname()) {
    server.close()
    throw new RunLockedError(lockedMessage(runDir, held))
  }
  writeFileAtomic(runPaths(runDir).lock, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }), { durable: false })
  return heldLock(runDir, () => server.close())
}

function acquireFileLock(runDir: string): RunLock {
  const path = runPaths(runDir).lock
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }))
      closeSync(fd)
      return heldLock(runDir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const held = readLock(runDir)
      if (held && held.pid !== process.pid && (held.host !== hostname() || alive(held.pid))) throw new RunLockedError(lockedMessage(runDir, held))
      try { unlinkSync(path) } catch { /* raced */ }
    }
  }
  throw new RunLockedError(`Could not take the lock of ${runDir}; another process keeps taking it. Try again.`)
}

/** The lock this process holds: releasing (once; later calls do nothing) removes its lock file, then `alsoRelease`. */
function heldLock(runDir: string, alsoRelease?: () => void): RunLock {
  let released = false
  return {
    release() {
      if (released) return
      released = true
      removeOwnLockFile(runDir)
      alsoRelease?.()
    },
  }
}

/** Removes the lock file if this process wrote it (a takeover by another process leaves theirs alone). */
function removeOwnLockFile(runDir: string): void {
  if (readLock(runDir)?.pid !== process.pid) return
  try {
    unlinkSync(runPaths(runDir).lock)
  } catch {
    /* gone */
  }
}
