// expect: {"mapped":4,"pointsOk":true,"final":"string"}
// parity: P-PAR-1 P-PIPE-2
export const meta = { name: 'map-reduce', phases: [{ title: 'Map' }, { title: 'Reduce' }] }
phase('Map')
const chunks = ['ch1', 'ch2', 'ch3', 'ch4']
const partial = await parallel(chunks.map((c) => () => agent(`Summarise ${c}`, { schema: { type: 'object', properties: { points: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 } }, required: ['points'] } })))
phase('Reduce')
const all = partial.flatMap((p) => p.points)
const final = await agent(`Merge these ${all.length} points into one summary.`)
return { mapped: partial.length, pointsOk: all.length >= 4 && all.length <= 12, final: typeof final }
