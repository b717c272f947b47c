// expect: {"verdict":"fail","score":5,"labels":["value1: meadow nimbus (label this)","value2: alpha ember (label this)"]}
// parity: P-AGENT-5
export const meta = { name: 'schema-agents' }
const VERDICT = { type: 'object', properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, score: { type: 'integer' } }, required: ['verdict', 'score'] }
const v = await agent('grade this', { schema: VERDICT })
const l = await agent('label this', { schema: { type: 'array', items: { type: 'string' } } })
return { verdict: v.verdict, score: v.score, labels: l }
