// Script parsing without running it: the meta literal, the body with lines kept, warnings, and every refusal.
import { describe, expect, it } from 'vitest'
import { ScriptError } from '../../src/script/errors.js'
import { parseScript } from '../../src/script/meta.js'

function refusal(source: string): ScriptError {
  try {
    parseScript(source)
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError)
    expect((e as ScriptError).exitCode).toBe(2)
    return e as ScriptError
  }
  throw new Error('expected a ScriptError')
}

describe('parseScript', () => {
  it('reads a pure-literal meta and keeps body line numbers', () => {
    const src = [
      '// a comment first is fine',
      'export const meta = {',
      "  name: 'migrate-tests', description: `Port tests`,",
      "  phases: [{ title: 'Survey', detail: 'find them' }, { title: 'Port' }],",
      "  whenToUse: 'when porting', model: 'openai/gpt-5', weight: -1.5, on: true, none: null,",
      '}',
      "phase('Survey')",
      'return 1',
    ].join('\n')
    const p = parseScript(src)
    expect(p.meta).toEqual({
      name: 'migrate-tests',
      description: 'Port tests',
      phases: [{ title: 'Survey', detail: 'find them' }, { title: 'Port' }],
      whenToUse: 'when porting',
      model: 'openai/gpt-5',
    })
    expect(p.warnings).toEqual([])
    expect(p.source).toBe(src)
    const lines = p.body.split('\n')
    expect(lines.length).toBe(src.split('\n').length)
    expect(lines[6]).toBe("phase('Survey')")
    expect(p.body).not.toContain('export')
  })

  it('warns about phase titles that meta.phases does not list', () => {
    const p = parseScript("export const meta = { name: 'x', phases: [{ title: 'A' }] }\nphase('A')\nphase('B')\nagent('p', { phase: 'C' })")
    expect(p.warnings).toHaveLength(2)
    expect(p.warnings[0]).toContain("phase('B') at line 3")
    expect(p.warnings[1]).toContain("phase: 'C'")
  })

  it('refuses a script without meta first', () => {
    expect(refusal("const x = 1\nexport const meta = { name: 'x' }").message).toMatch(/must start with its meta/)
    expect(refusal('return 1').message).toMatch(/export const meta/)
    expect(refusal("export let meta = { name: 'x' }").message).toMatch(/first statement/)
  })

  it('refuses a non-literal meta and says what to change', () => {
    const call = refusal("export const meta = { name: makeName() }")
    expect(call.message).toMatch(/pure literal.*function call/)
    expect(call.message).toContain('line 1, column 29')
    expect(call.line).toBe(1)
    expect(refusal("const n = 'x'\nexport const meta = { name: n }").message).toMatch(/first statement/)
    expect(refusal("export const meta = { name: n }").message).toMatch(/variable "n"/)
    expect(refusal("export const meta = { name: `a${1}` }").message).toMatch(/template string/)
    expect(refusal("export const meta = { ...base, name: 'x' }").message).toMatch(/spread/)
    expect(refusal("export const meta = { ['name']: 'x' }").message).toMatch(/computed key/)
    expect(refusal("export const meta = { name: 'x', get d() { return 1 } }").message).toMatch(/method or getter/)
    expect(refusal("export const meta = { name: 'x', r: /a/ }").message).toMatch(/regular expression/)
  })

  it('refuses an invalid meta shape (zod)', () => {
    expect(refusal('export const meta = { description: "no name" }').message).toMatch(/meta\.name/)
    expect(refusal('export const meta = { name: "" }').message).toMatch(/meta\.name/)
    expect(refusal('export const meta = { name: "x", phases: [{ detail: "d" }] }').message).toMatch(/meta\.phases\[0\]\.title/)
    expect(refusal('export const meta = { name: 3 }').message).toMatch(/not valid/)
  })

  it('refuses imports and other exports', () => {
    expect(refusal("export const meta = { name: 'x' }\nimport fs from 'node:fs'").message).toMatch(/cannot import/)
    expect(refusal("export const meta = { name: 'x' }\nconst m = await import('node:fs')").message).toMatch(/import\(\)/)
    expect(refusal("export const meta = { name: 'x' }\nexport const y = 1").message).toMatch(/Only `export const meta`/)
  })

  it('reports syntax errors with line and column', () => {
    const e = refusal("export const meta = { name: 'x' }\nconst a = (;\n")
    expect(e.message).toMatch(/syntax error/)
    expect(e.message).toContain('line 2, column 12')
    expect([e.line, e.column]).toEqual([2, 12])
  })
})
