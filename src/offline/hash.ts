// Deterministic helpers for the offline model: a string hash, a seeded PRNG and a rough token estimate.
// Everything the offline model says is derived from these, so the same request always gets the same answer.
import { createHash } from 'node:crypto'

/** 32-bit unsigned hash of a string (first 4 bytes of SHA-256). */
export function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0)
}

export function hashHex(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length)
}

/** mulberry32: small, fast, deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** About four characters per token, at least one: deterministic, good enough for budgets and displays. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}

const WORDS = ['alpha', 'bravo', 'cedar', 'delta', 'ember', 'fjord', 'garnet', 'harbor', 'iris', 'juniper', 'kestrel', 'lumen', 'meadow', 'nimbus', 'orchid', 'prism', 'quartz', 'river', 'summit', 'tundra']

/** A few deterministic words chosen by a hash. */
export function hashWords(text: string, count: number): string[] {
  const next = prng(hash32(text))
  return Array.from({ length: count }, () => WORDS[Math.floor(next() * WORDS.length)])
}
