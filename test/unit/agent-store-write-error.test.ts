// A failed agents.jsonl write (a full disk) while an agent settles is reported through onError, never thrown into
// the caller: a big record is flushed at once, inside append(), which must not throw.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tempDirs } from '../support/temp-dirs.js'

const failing = vi.hoisted(() => ({ on: false }))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (failing.on) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    return (fs.writeSync as (...a: unknown[]) => number)(...args)
  }) as typeof fs.writeSync
  return { ...fs, default: { ...fs, writeSync }, writeSync }
})

const { openAgentStore } = await import('../../src/store/agent-store.js')
const temp = tempDirs('ocdw-agent-store-err-')
afterEach(() => {
  failing.on = false
})

const record = (key: string, result: unknown) => ({ key, prompt: 'p', options: {}, phase: '', label: key, status: 'done' as const, tools: [], result, attempt: 1, endedAt: 1 })

describe('agent store write errors', () => {
  it('a record big enough to be written at once reports a failed write instead of throwing', () => {
    const errors: string[] = []
    const store = openAgentStore(temp(), { onError: (err) => errors.push((err as NodeJS.ErrnoException).code ?? err.message) })
    failing.on = true
    expect(() => store.append(record('big', 'x'.repeat(300 * 1024)))).not.toThrow()
    expect(errors).toEqual(['ENOSPC'])
  })

  it('a batched record reports a failed write from the batching tick', async () => {
    const errors: string[] = []
    const store = openAgentStore(temp(), { onError: (err) => errors.push((err as NodeJS.ErrnoException).code ?? err.message) })
    failing.on = true
    store.append(record('small', 'ok'))
    await new Promise((r) => setImmediate(r))
    expect(errors).toEqual(['ENOSPC'])
  })
})
