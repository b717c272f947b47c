// What one approval covers (issue 12.3/12.4a): the top script and every sub-workflow it names in a workflow('...')
// call, each by sha256. Approval shows and hashes the whole set; run.json records it; a run only runs sub-workflows
// whose current source still has the approved hash; `ocdw resume` asks again when anything changed.
import { createHash } from 'node:crypto'
import { parse } from 'acorn'
import type { WorkflowResolver } from '../machines/types.js'

export interface ApprovedSet {
  /** sha256 of the top script. */
  script: string
  /** sha256 of each sub-workflow, by the name the script passes to workflow(). */
  workflows: Record<string, string>
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

/** The workflow('name') calls with a literal name, in order of first appearance (a computed name cannot be approved). */
export function literalWorkflowNames(source: string): string[] {
  let program: unknown
  try {
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true })
  } catch {
    return []
  }
  const names: string[] = []
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach(visit)
    const n = node as AstNode
    if (typeof n.type !== 'string') return
    if (n.type === 'CallExpression' && n.callee?.type === 'Identifier' && n.callee.name === 'workflow') {
      const name = literalName(n.arguments?.[0])
      if (name !== undefined && !names.includes(name)) names.push(name)
    }
    for (const k of Object.keys(n)) if (k !== 'type' && k !== 'start' && k !== 'end') visit(n[k])
  }
  visit(program)
  return names
}

/** The parts of an acorn (ESTree) node this walk reads; any other key is walked as a child. */
interface AstNode {
  type: string
  callee?: { type: string; name?: string }
  name?: string
  computed?: boolean
  properties?: unknown[]
  arguments?: AstNode[]
  value?: unknown
  expressions?: unknown[]
  quasis?: { value: { cooked?: string | null } }[]
  [key: string]: unknown
}

/** The text of a string literal or a template literal without `${}`, else undefined (a computed name). Claude Code's
 *  reference form `{ scriptPath: '…' }` counts by its literal path, which is the name the prelude passes on. */
function literalName(arg: AstNode | undefined): string | undefined {
  if (arg?.type === 'ObjectExpression') {
    const props = (arg.properties ?? []) as AstNode[]
    const path = props.find((p) => p.type === 'Property' && !p.computed && ((p.key as AstNode)?.name === 'scriptPath' || (p.key as AstNode)?.value === 'scriptPath'))
    return literalName(path?.value as AstNode | undefined)
  }
  if (arg?.type === 'Literal' && typeof arg.value === 'string') return arg.value
  if (arg?.type === 'TemplateLiteral' && arg.expressions?.length === 0) return arg.quasis?.[0]?.value.cooked ?? undefined
  return undefined
}

/** Hashes the script and the sub-workflows it names; a name that does not resolve now is left out (it fails when called). */
export async function approvedSetOf(source: string, resolve: WorkflowResolver): Promise<ApprovedSet & { sources: Record<string, string> }> {
  const workflows: Record<string, string> = {}
  const sources: Record<string, string> = {}
  for (const name of literalWorkflowNames(source)) {
    try {
      const found = await resolve(name)
      workflows[name] = sha256(found.source)
      sources[name] = found.source
    } catch {
      /* unknown or refused: workflow() reports it when the script calls it */
    }
  }
  return { script: sha256(source), workflows, sources }
}

/** One hash for the whole set: the script's own hash when it names no sub-workflow (so older consent still applies). */
export function combinedHash(set: ApprovedSet): string {
  const names = Object.keys(set.workflows).sort()
  if (names.length === 0) return set.script
  return sha256([set.script, ...names.map((n) => `${n}\0${set.workflows[n]}`)].join('\n'))
}

export function sameApprovedSet(a: ApprovedSet | undefined, b: ApprovedSet): boolean {
  return !!a && typeof a === 'object' && a.script === b.script && combinedHash(a) === combinedHash(b)
}

/** A resolver that only hands out sub-workflows whose source still has the approved hash. */
export function enforceApproved(resolve: WorkflowResolver, approved: Record<string, string>): WorkflowResolver {
  return async (name) => {
    // Resolve first: a missing or refused name says so in its own words.
    const found = await resolve(name)
    const want = approved[name]
    if (want === undefined) {
      throw new Error(`workflow("${name}") was not part of what was approved (only workflow() calls with a literal name are shown for approval); call it with its name written out, then run again.`)
    }
    if (sha256(found.source) !== want) {
      throw new Error(`The workflow "${name}" changed after the run was approved, so it did not run; run (or resume) again to approve the new version.`)
    }
    return found
  }
}
