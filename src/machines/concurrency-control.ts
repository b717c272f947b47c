// Adaptive concurrency for one model (issue 17.2): additive increase, multiplicative decrease (AIMD, as TCP does).
// Agents wait on a remote model, not on local CPU, so a run starts wide (16) and the model's own answers set the pace:
//   - an overload answer (429 / rate limit / overloaded) cuts the limit to 70% of itself;
//   - answers slowing down to 3x the fastest the model has been (the provider queues instead of refusing) cut it
//     to 90%, never below a quarter of the start (agents' durations also vary with their tasks);
//   - every `limit` healthy answers while the limit is in use add one slot.
// After a cut, the answers of requests that were already in flight say nothing about the new limit, so signals are
// ignored until that many answers came back (counted, not timed: deterministic, and right on a loaded machine).
// Pure: no clock, no I/O; the caller passes latencies and in-flight counts.

export interface AimdOptions {
  /** Where the limit starts. */
  start: number
  /** The limit never goes below this (default 1). */
  min?: number
  /** The limit never goes above this (a user's per-model cap, or the global ceiling). */
  max: number
  /** Slow answers never cut the limit below this (default: a quarter of the start); only overload answers do. */
  latencyFloor?: number
}

export interface AimdState {
  /** The current limit, fractional between steps; slots are its floor. */
  limit: number
  min: number
  max: number
  latencyFloor: number
  /** Healthy answers since the last step up. */
  credit: number
  /** Answers still to come back from before the last cut; signals are ignored until it reaches 0. */
  holdoff: number
  /** Smoothed agent latency (ms) and the lowest it has been: the baseline for "answers are slowing down". */
  ewmaMs?: number
  baselineMs?: number
  samples: number
}

export type AimdChange = { from: number; to: number; reason: 'overload' | 'latency' | 'healthy' } | undefined

/** Overload cut: 70% of the limit (TCP CUBIC's beta), so a steady rate limit is tracked closely rather than halved. */
export const OVERLOAD_FACTOR = 0.7
/** Latency cut: gentler, since slow answers may also be slow work. */
export const LATENCY_FACTOR = 0.9
/** "Slowing down": the smoothed latency above this multiple of the baseline. */
export const LATENCY_RATIO = 3
/** Latency samples needed before the baseline is trusted. */
const MIN_SAMPLES = 8
/** Latencies below this are noise (instant executors, cached answers), never a slowdown. */
const MIN_LATENCY_MS = 50

export function createAimd(o: AimdOptions): AimdState {
  const min = Math.max(1, Math.floor(o.min ?? 1))
  const max = Math.max(min, Math.floor(o.max))
  const latencyFloor = clamp(Math.floor(o.latencyFloor ?? o.start / 4), min, max)
  return { limit: clamp(o.start, min, max), min, max, latencyFloor, credit: 0, holdoff: 0, samples: 0 }
}

/** The number of agents that may be in flight now. */
export function slots(s: AimdState): number {
  return Math.max(s.min, Math.floor(s.limit))
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n))
}

function cut(s: AimdState, factor: number, inFlight: number, reason: 'overload' | 'latency'): AimdChange {
  const from = slots(s)
  // Agents' durations also vary with their tasks, so slowness alone never drives a model below its latency floor.
  const floor = reason === 'latency' ? Math.min(s.latencyFloor, s.limit) : s.min
  s.limit = clamp(Math.min(s.limit, Math.max(inFlight, 1)) * factor, floor, s.max)
  s.credit = 0
  s.holdoff = Math.max(0, inFlight)
  // The slowdown was this limit's doing: measure the next one afresh against the same baseline.
  s.ewmaMs = s.baselineMs
  const to = slots(s)
  return to !== from ? { from, to, reason } : undefined
}

/**
 * A request was answered with an overload (429, rate limit, overloaded). `inFlight` counts the requests in flight when
 * the answer came, this one included. Returns the change of slots, if any.
 */
export function onOverload(s: AimdState, inFlight: number): AimdChange {
  if (s.holdoff > 0) return undefined
  return cut(s, OVERLOAD_FACTOR, inFlight, 'overload')
}

/**
 * A request finished (well or not). `latencyMs` is set for a healthy answer; `inFlight` counts the requests in flight
 * before this one finished, this one included.
 */
export function onFinished(s: AimdState, inFlight: number, latencyMs?: number): AimdChange {
  if (s.holdoff > 0) {
    s.holdoff--
    return undefined
  }
  if (latencyMs === undefined) return undefined
  if (latencyMs >= MIN_LATENCY_MS) {
    s.samples++
    s.ewmaMs = s.ewmaMs === undefined ? latencyMs : s.ewmaMs * 0.8 + latencyMs * 0.2
    if (s.samples >= MIN_SAMPLES / 2) s.baselineMs = s.baselineMs === undefined ? s.ewmaMs : Math.min(s.baselineMs, s.ewmaMs)
    if (s.samples >= MIN_SAMPLES && s.baselineMs !== undefined && s.ewmaMs > s.baselineMs * LATENCY_RATIO) {
      return cut(s, LATENCY_FACTOR, inFlight, 'latency')
    }
  }
  // Grow only while the limit is in use: a run that never fills its slots learns nothing about the model.
  if (inFlight < slots(s)) return undefined
  const from = slots(s)
  s.credit++
  if (s.credit >= from) {
    s.credit = 0
    s.limit = clamp(s.limit + 1, s.min, s.max)
  }
  const to = slots(s)
  return to !== from ? { from, to, reason: 'healthy' } : undefined
}
