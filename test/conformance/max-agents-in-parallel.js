// expect: {"answered":5,"nulls":3}
// parity: P-LIMIT-1 P-BUDGET-4
// maxAgents: 5
export const meta = { name: 'max-agents-in-parallel' }
// Past the cap inside parallel(): the refused slots are null, the others answer.
const out = await parallel(Array.from({ length: 8 }, (_, i) => () => agent(`slot ${i}`)))
return { answered: out.filter((x) => x !== null).length, nulls: out.filter((x) => x === null).length }
