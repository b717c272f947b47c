// How values cross between the host and the script's isolate: only JSON strings. Strings coming in are JSON-decoded
// (the prelude encodes each one, so a NUL inside survives the C-string crossing); results going out are one JSON
// text the prelude parses, settled later on a QuickJS promise inside a CPU-accounted slice.
import type { QuickJSHandle } from 'quickjs-emscripten'
import { nestsDeeperThan } from './limits.js'
import { tooDeepText, tooManyPendingText } from './limit-messages.js'
import type { ScriptVm } from './vm.js'

/** agent()/gate()/workflow() calls waiting at once; far more would exhaust the interpreter's host bridge. */
export const MAX_PENDING = 10_000

export interface Bridge {
  /** A string argument from the prelude ('' for anything else). */
  str(h: QuickJSHandle | undefined): string
  /**
   * A QuickJS promise resolved later with `run()`'s JSON value. When `run` fails, `onError` decides: an Error rejects
   * the script's promise with its message, anything else is the value the script gets instead.
   */
  hostPromise(run: () => Promise<unknown>, onError?: (e: unknown) => unknown): QuickJSHandle
  /** The refusal sentence when too many host calls already wait (the run then fails with it), else undefined. */
  tooManyPending(): string | undefined
}

export function createBridge(vm: ScriptVm, log: (message: string) => void): Bridge {
  const { ctx } = vm
  const str = (h: QuickJSHandle | undefined): string => {
    if (h === undefined || ctx.typeof(h) !== 'string') return ''
    const raw = ctx.getString(h)
    try {
      return String(JSON.parse(raw))
    } catch {
      return raw
    }
  }

  function jsonFor(value: unknown): string {
    try {
      if (nestsDeeperThan(value)) {
        log(tooDeepText('A result passed to the script') + ' The script gets null instead.')
        value = null
      }
      return JSON.stringify({ v: value === undefined ? null : value })
    } catch {
      log('A host result could not be passed to the script as JSON; the script gets null instead.')
      return '{"v":null}'
    }
  }

  function hostPromise(run: () => Promise<unknown>, onError: (e: unknown) => unknown = () => null): QuickJSHandle {
    const { d, settle } = vm.deferred()
    const resolveWith = (value: unknown) =>
      settle(() => {
        const h = ctx.newString(jsonFor(value))
        d.resolve(h)
        h.dispose()
      })
    let p: Promise<unknown>
    try {
      p = run()
    } catch (e) {
      p = Promise.reject(e)
    }
    p.then(resolveWith, (e) => {
      const fallback = onError(e)
      if (!(fallback instanceof Error)) return resolveWith(fallback)
      settle(() => {
        // AgentRefusedError keeps its name: the prelude tells a refusal (thrown on) from a failure (null).
        const h = ctx.newError({ name: fallback.name === 'AgentRefusedError' ? fallback.name : 'Error', message: fallback.message })
        d.reject(h)
        h.dispose()
      })
    })
    return d.handle
  }

  const tooManyPending = (): string | undefined => {
    if (vm.pending.size < MAX_PENDING) return undefined
    const message = tooManyPendingText(MAX_PENDING)
    vm.outcome ??= { status: 'failed', error: message }
    return message
  }

  return { str, hostPromise, tooManyPending }
}
