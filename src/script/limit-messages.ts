// The sentences a script run ends (or is refused) with when it passes one of the sandbox's limits. One place, so the
// wording users see stays the same wherever a limit is detected (an interrupt, a host call, the prelude, a crash of
// the interpreter), and each says what happened and what to do.
import { MAX_DEPTH } from './limits.js'

export const MB = 1024 * 1024

/** Ran without awaiting past the per-slice limit (`slice`) or past the run's total CPU time (`total`). */
export function tooLongText(which: 'slice' | 'total', limits: { sliceMs: number; cpuMs: number }): string {
  return which === 'slice'
    ? `The script ran for more than ${limits.sliceMs} ms without awaiting (an endless loop?), so it was stopped. Await agents instead of busy-waiting, or raise limits.sliceMs / limits.cpuMs if the work is real.`
    : `The script ran too long without awaiting: its own CPU time passed ${limits.cpuMs} ms (an endless loop?), so it was stopped. Make the script await its agents instead of computing in a loop, or raise limits.cpuMs if the work is real.`
}

/** A value crossing the boundary nests deeper than MAX_DEPTH; `what` names it ("agent() options"...). */
export function tooDeepText(what: string): string {
  return `${what} nests more than ${MAX_DEPTH} levels deep, which ocdw refuses (it could not be saved and resumed reliably); flatten the data.`
}

export function argsTooDeepText(): string {
  return `The run's args nest more than ${MAX_DEPTH} levels deep, which ocdw refuses; flatten them.`
}

export function outOfMemoryText(memoryBytes: number): string {
  return `The script used more memory than its ${Math.round(memoryBytes / MB)} MB limit (a memory bomb or a huge value?), so it was stopped. Keep large data out of script variables, or raise limits.memoryBytes if it is needed.`
}

export const STACK_OVERFLOW_TEXT = 'The script recursed too deeply and ran out of stack. Replace deep recursion with a loop.'

export function interpreterFailedText(message: string): string {
  return `The script's interpreter failed: ${message}. The run was stopped.`
}

export const NEVER_SETTLES_TEXT =
  'The script is waiting for a promise that nothing will ever settle (no agent, gate or workflow is running), so it can never finish. Await only agent(), parallel(), pipeline(), gate() or workflow() results.'

export function tooManyPendingText(maxPending: number): string {
  return `The script started more than ${maxPending.toLocaleString('en-US')} agent(), gate() or workflow() calls that were all waiting at once, so it was stopped. Start them in batches (await a parallel() of at most a few thousand before starting more).`
}

export function resultTooBigText(chars: number, maxResultBytes: number): string {
  return `The script's result is ${Math.round(chars / 1024)} KB, over the ${Math.round(maxResultBytes / 1024)} KB limit. Return a summary and keep large data in files the agents write.`
}
