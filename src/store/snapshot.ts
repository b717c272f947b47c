// snapshot.json: the workflow actor's persisted snapshot (getPersistedSnapshot()), rewritten atomically and at most
// once per throttle window so a run of thousands of agents does not spend its time serialising.
import { existsSync, readFileSync } from 'node:fs'
import { writeFileAtomic } from './atomic.js'
import { runPaths } from './run-dir.js'

/** `onError` hears of a write that failed in a timer (nobody else could catch it there). */
export function createSnapshotWriter(runDir: string, o: { throttleMs?: number; onError?: (err: Error) => void } = {}) {
  const throttleMs = o.throttleMs ?? 1000
  let pending: unknown
  let has = false
  let lastWrite = 0
  let timer: NodeJS.Timeout | undefined
  const writeNow = () => {
    timer = undefined
    if (!has) return
    has = false
    lastWrite = Date.now()
    writeFileAtomic(runPaths(runDir).snapshot, JSON.stringify(pending))
  }
  return {
    write(snapshot: unknown): void {
      pending = snapshot
      has = true
      const wait = lastWrite + throttleMs - Date.now()
      if (wait <= 0) writeNow()
      else if (!timer) {
        timer = setTimeout(() => {
          try {
            writeNow()
          } catch (err) {
            o.onError?.(err as Error)
          }
        }, wait)
        timer.unref()
      }
    },
    async flush(): Promise<void> {
      if (timer) clearTimeout(timer)
      writeNow()
    },
  }
}

export function readSnapshot(runDir: string): { snapshot?: unknown; warning?: string } {
  const path = runPaths(runDir).snapshot
  if (!existsSync(path)) return {}
  try {
    return { snapshot: JSON.parse(readFileSync(path, 'utf8')) }
  } catch (err) {
    return { warning: `snapshot.json is unreadable (${(err as Error).message}); the run resumes from its journal instead.` }
  }
}
