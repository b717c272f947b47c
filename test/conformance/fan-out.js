// expect: {"count":5,"first":"answer: summarise file 0"}
// parity: P-PAR-1 P-AGENT-4
export const meta = { name: 'fan-out', description: 'one agent per file', phases: [{ title: 'Read' }] }
const files = ['a', 'b', 'c', 'd', 'e']
const results = await parallel(files.map((f, i) => () => agent(`summarise file ${i}`, { label: f })))
return { count: results.length, first: results[0] }
