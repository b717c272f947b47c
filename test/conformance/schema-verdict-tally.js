// expect: {"counted":5}
// parity: P-AGENT-5 P-PAR-1
// e2e
export const meta = { name: 'schema-verdict-tally' }
const VERDICT = { type: 'object', properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, reason: { type: 'string' } }, required: ['verdict', 'reason'] }
const votes = await parallel([1, 2, 3, 4, 5].map((i) => () => agent(`Judge candidate ${i}: pass or fail?`, { schema: VERDICT, label: `judge ${i}` })))
const tally = { pass: 0, fail: 0 }
for (const v of votes) tally[v.verdict]++
return { counted: tally.pass + tally.fail }
