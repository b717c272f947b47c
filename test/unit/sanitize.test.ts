import { describe, expect, it } from 'vitest'
import { sanitizeForTerminal, sanitizeLine } from '../../src/machines/sanitize.js'

describe('sanitizeForTerminal', () => {
  it('removes OSC 52 clipboard writes, OSC 8 links and screen clears, keeps the text', () => {
    const evil = 'a\x1b]52;c;ZXZpbA==\x07b\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\c\x1b[2J\x1b[Hd\x1bce'
    expect(sanitizeForTerminal(evil)).toBe('ablinkcde')
  })
  it('removes C0/C1 controls and bidi overrides but keeps newlines and tabs', () => {
    expect(sanitizeForTerminal('x\u0000y\u0007z\r\n\tw\u009b31mq\u202ev')).toBe('xyz\n\twqv')
  })
  it('an unterminated OSC swallows the rest rather than reaching the terminal', () => {
    expect(sanitizeForTerminal('ok\x1b]52;c;AAAA')).toBe('ok')
  })
  it('sanitizeLine keeps one line', () => {
    expect(sanitizeLine('a\nb\tc')).toBe('a b c')
  })
})
