// Replay keys: stable across runs (resume depends on it), distinct per defining input, numbered per occurrence.
import { describe, expect, it } from 'vitest'
import { createKeyer } from '../../src/script/keys.js'

describe('createKeyer', () => {
  it('gives the same keys for the same calls in a new run', () => {
    const a = createKeyer()
    const b = createKeyer()
    const calls = [['p', { model: 'x/y' }, 'Main'], ['q', {}, 'Main'], ['p', { model: 'x/y' }, 'Main']] as const
    const ka = calls.map(([p, o, ph]) => a.next(p, o, ph))
    const kb = calls.map(([p, o, ph]) => b.next(p, o, ph))
    expect(ka).toEqual(kb)
    expect(ka[0]).toMatch(/^[0-9a-f]{16}-0$/)
  })

  it('numbers repeated identical calls 0, 1, 2 per hash', () => {
    const k = createKeyer()
    const first = k.next('same', {}, 'Vote')
    const other = k.next('other', {}, 'Vote')
    const second = k.next('same', {}, 'Vote')
    const third = k.next('same', {}, 'Vote')
    const hash = first.split('-')[0]
    expect([first, second, third]).toEqual([`${hash}-0`, `${hash}-1`, `${hash}-2`])
    expect(other.endsWith('-0')).toBe(true)
  })

  it('changes with prompt, schema, model, agentType, effort and phase, but not with the label', () => {
    const base = () => createKeyer().next('p', { schema: { type: 'string' } }, 'A')
    const variants = [
      createKeyer().next('p2', { schema: { type: 'string' } }, 'A'),
      createKeyer().next('p', { schema: { type: 'number' } }, 'A'),
      createKeyer().next('p', { schema: { type: 'string' }, model: 'm/x' }, 'A'),
      createKeyer().next('p', { schema: { type: 'string' }, agentType: 'build' }, 'A'),
      createKeyer().next('p', { schema: { type: 'string' }, effort: 'high' }, 'A'),
      createKeyer().next('p', { schema: { type: 'string' } }, 'B'),
    ]
    expect(new Set([base(), ...variants]).size).toBe(7)
    expect(createKeyer().next('p', { schema: { type: 'string' }, label: 'x' } as never, 'A')).toBe(base())
  })
})
