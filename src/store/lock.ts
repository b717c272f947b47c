// The run lock: one process writes a run. The lock file holds pid + host; a lock whose pid is dead (on this host) is
// stale and taken over, a live one is refused with a sentence that names the holder.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

export const LOCK_FILE = 'lock'

export class RunLockedError extends Error {
  readonly exitCode = 2
}

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
    return JSON.parse(readFileSync(join(runDir, LOCK_FILE), 'utf8'))
  } catch {
    return undefined
  }
}

/** True when a live process (on this host) holds the run's lock. */
export function isLocked(runDir: string): boolean {
  const held = readLock(runDir)
  return !!held && held.host === hostname() && held.pid !== process.pid && alive(held.pid)
}

export function acquireLock(runDir: string): { release(): void } {
  const path = join(runDir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }))
      closeSync(fd)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          const now = readLock(runDir)
          if (now?.pid === process.pid) {
            try { unlinkSync(path) } catch { /* gone */ }
          }
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const held = readLock(runDir)
      if (held && held.pid !== process.pid && (held.host !== hostname() || alive(held.pid))) {
        throw new RunLockedError(
          `The run in ${runDir} is in use by process ${held.pid} on ${held.host}; stop it with \`ocdw stop\`, or wait for it to end.`,
        )
      }
      // Stale (dead pid, unreadable, or ours from before): take it over.
      try { unlinkSync(path) } catch { /* raced */ }
    }
  }
  throw new RunLockedError(`Could not take the lock of ${runDir}; another process keeps taking it. Try again.`)
}
