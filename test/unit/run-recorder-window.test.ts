// The recorder's write window grows with what its writes cost in CPU (a big run's serialisation), not with the wall
// time they took: on a busy disk an fsync waits for seconds at no cost, and a window stretched by that left a small
// run's snapshot.json and view.json up to 30 s behind (found by resume-trust 13.1 under load).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRunRecorder, nextWindowMs } from '../../src/actors/run-recorder.js'
import { emptyRunView } from '../../src/machines/run-view.js'
import type { RunFile } from '../../src/store/run-file.js'

/** Blocks this thread for `ms` without using CPU (as a slow fsync does). */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const dirs: string[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('the snapshot and view write window', () => {
  it('is 20x the write CPU time, at least the throttle and at most 30 s', () => {
    expect(nextWindowMs(1000, 0)).toBe(1000)
    expect(nextWindowMs(1000, 500)).toBe(10_000)
    expect(nextWindowMs(1000, 5000)).toBe(30_000)
  })

  it('does not grow when a write was slow only because it waited (no CPU spent)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const runDir = mkdtempSync(join(tmpdir(), 'ocdw-recorder-'))
    dirs.push(runDir)
    const recorder = createRunRecorder({ runDir, run: { id: 'wf_t', name: 't' } as RunFile, throttleMs: 1000 })
    const view = emptyRunView('wf_t', 't')
    recorder.markDirty(() => {
      stall(400)
      return { n: 1 }
    }, view)
    vi.advanceTimersByTime(1001)
    expect(JSON.parse(readFileSync(join(runDir, 'snapshot.json'), 'utf8'))).toEqual({ n: 1 })
    // With a wall-time window this next write would wait 20 x 400 ms = 8 s.
    // (The snapshot file's own once-a-second throttle adds one more second of fake time.)
    recorder.markDirty(() => ({ n: 2 }), view)
    vi.advanceTimersByTime(2002)
    expect(JSON.parse(readFileSync(join(runDir, 'snapshot.json'), 'utf8'))).toEqual({ n: 2 })
    recorder.journal.close()
  })
})
