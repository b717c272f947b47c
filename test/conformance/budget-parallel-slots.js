// expect: [null,null,null]
// parity: P-BUDGET-4
// budget: 20
export const meta = { name: 'budget-parallel-slots' }
await agent('first')
await agent('second')
// Spent: every slot's agent() throws, and parallel() turns each throw into that slot's null.
const out = await parallel([() => agent('a'), () => agent('b'), () => agent('c')])
return out
