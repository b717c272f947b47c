// expect: {"fleet":3,"done":3,"spent":30,"remaining":270}
// parity: P-BUDGET-2 P-BUDGET-5
// budget: 300
export const meta = { name: 'budget-static-scaling' }
// Size the fleet from the budget up front, as Claude Code's docs suggest.
const FLEET = budget.total ? Math.floor(budget.total / 100) : 5
const out = await parallel(Array.from({ length: FLEET }, (_, i) => () => agent(`worker ${i}`)))
return { fleet: FLEET, done: out.filter(Boolean).length, spent: budget.spent(), remaining: budget.remaining() }
