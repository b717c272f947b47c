// snapshot.json: the workflow actor's persisted snapshot (getPersistedSnapshot()), rewritten atomically; the run
// recorder writes it at most once per window so a run of thousands of agents does not spend its time serialising.
import { existsSync, readFileSync } from 'node:fs'
import { writeFileAtomic } from './atomic.js'
import { runPaths } from './run-dir.js'

/** Writes the workflow actor's persisted snapshot (atomically; durable unless `durable: false`). How often is the
 *  run recorder's choice (src/actors/run-recorder.ts). */
export function writeSnapshot(runDir: string, snapshot: unknown, o: { durable?: boolean } = {}): void {
  writeFileAtomic(runPaths(runDir).snapshot, JSON.stringify(snapshot), o)
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
