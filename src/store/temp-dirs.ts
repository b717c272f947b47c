// Temporary directories that belong to one ocdw process (the offline test bed's HOME/XDG tree, a run's control socket
// dir, a run's worktree): each holds an owner
// stamp (pid + process start time), so the next start can remove those whose process is gone, even after kill -9 or a
// power cut. Only directories owned by this uid are ever touched; another user's are not ours to judge.
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const STAMP = '.ocdw-owner.json'
/** Directories from before owner stamps existed are reclaimed once they are this old. */
const UNSTAMPED_AGE_MS = 24 * 3600_000

/** The start time of a process (clock ticks since boot, from /proc), or undefined where /proc is not available. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

export function processAlive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  // A live pid with another start time is a new process that reused the number: the owner is gone.
  const now = processStartTime(pid)
  return start === undefined || now === undefined || now === start
}

/** mkdtemp in `base` (the temp dir unless told), stamped with this process as its owner. */
export function makeOwnedTempDir(prefix: string, base = tmpdir()): string {
  const dir = mkdtempSync(join(base, prefix))
  writeFileSync(join(dir, STAMP), JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) }) + '\n', { mode: 0o600 })
  return dir
}

/** Removes this uid's `<prefix>*` dirs in `base` (the temp dir unless told) whose owner process is gone; returns how
 * many went. Never throws. */
export function reclaimDeadTempDirs(prefix: string, now = Date.now(), base = tmpdir()): number {
  let removed = 0
  const uid = process.getuid?.()
  let names: string[]
  try {
    names = readdirSync(base).filter((n) => n.startsWith(prefix))
  } catch {
    return 0
  }
  for (const name of names) {
    const dir = join(base, name)
    try {
      const st = lstatSync(dir)
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue
      let dead: boolean
      try {
        const owner = JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as { pid?: unknown; start?: unknown }
        dead = typeof owner.pid !== 'number' || !processAlive(owner.pid, typeof owner.start === 'string' ? owner.start : undefined)
      } catch {
        dead = now - st.mtimeMs > UNSTAMPED_AGE_MS
      }
      if (dead) {
        rmSync(dir, { recursive: true, force: true })
        removed++
      }
    } catch {
      // vanished meanwhile, or not readable: leave it
    }
  }
  return removed
}
