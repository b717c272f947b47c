// The conformance corpus (test/conformance/*.js): each script with its header fields, and the sub-workflows the
// scripts call with workflow(). Shared by the in-process run (test/unit/conformance.test.ts) and the real-server run
// (test/e2e/conformance.test.ts).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const CONFORMANCE_DIR = join(__dirname, '../conformance')

export interface ConformanceScript {
  file: string
  source: string
  expected: unknown
  ids: string[]
  args?: unknown
  budget?: number
  maxAgents?: number
  e2e: boolean
}

const header = (source: string, name: string) => new RegExp(`^// ${name}:(.*)$`, 'm').exec(source)?.[1]?.trim()

export function conformanceScripts(): ConformanceScript[] {
  return readdirSync(CONFORMANCE_DIR)
    .filter((f) => f.endsWith('.js') && !f.startsWith('_'))
    .sort()
    .map((file) => {
      const source = readFileSync(join(CONFORMANCE_DIR, file), 'utf8')
      const expect = header(source, 'expect')
      if (expect === undefined) throw new Error(`${file} has no // expect: line`)
      const args = header(source, 'args')
      const budget = header(source, 'budget')
      const maxAgents = header(source, 'maxAgents')
      return {
        file,
        source,
        expected: JSON.parse(expect),
        ids: (header(source, 'parity') ?? '').split(/[\s,]+/).filter(Boolean),
        args: args === undefined ? undefined : JSON.parse(args),
        budget: budget === undefined ? undefined : Number(budget),
        maxAgents: maxAgents === undefined ? undefined : Number(maxAgents),
        e2e: /^\/\/ e2e\s*$/m.test(source),
      }
    })
}

/** Sub-workflows the corpus calls by name (files starting with `_` in the corpus folder). */
export async function resolveConformanceWorkflow(nameOrRef: string): Promise<{ name: string; source: string }> {
  const base = nameOrRef.replace(/^\.\//, '').replace(/\.js$/, '')
  const file = join(CONFORMANCE_DIR, `_${base}.js`)
  try {
    return { name: base, source: readFileSync(file, 'utf8') }
  } catch {
    throw new Error(`There is no workflow named "${nameOrRef}".`)
  }
}
