// A static estimate of how many agents a script can start, for the approval caution: agent() calls outside loops
// count once; any inside a loop, a callback (map/pipeline/parallel thunks) or a workflow() make it open-ended.
import * as acorn from 'acorn'

export function estimateAgents(source: string): { max: number; unbounded: boolean } {
  let ast: acorn.Node
  try {
    ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true })
  } catch {
    return { max: 0, unbounded: true }
  }
  let max = 0
  let unbounded = false
  const walk = (node: AstNode, inRepeat: boolean): void => {
    const repeat =
      inRepeat ||
      /^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(node.type) ||
      node.type === 'ArrowFunctionExpression' ||
      node.type === 'FunctionExpression' ||
      node.type === 'FunctionDeclaration'
    const callee = node.type === 'CallExpression' && isNode(node.callee) ? node.callee : undefined
    if (callee?.type === 'Identifier') {
      const name = String(callee.name)
      if (['agent', 'vote', 'review', 'workflow'].includes(name)) {
        if (inRepeat || name !== 'agent') unbounded = true
        else max++
      }
    }
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) {
        for (const c of child) if (isNode(c)) walk(c, repeat)
      } else if (isNode(child)) walk(child, repeat)
    }
  }
  walk(ast as unknown as AstNode, false)
  return { max, unbounded }
}

/** An ESTree node as acorn produces it, read generically: a `type` and child nodes under any key. */
type AstNode = { type: string; [key: string]: unknown }

function isNode(v: unknown): v is AstNode {
  return !!v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string'
}
