// expect: {"out":[null,null,null],"secondStage":0}
// parity: P-BUDGET-4 P-PIPE-3
// budget: 20
export const meta = { name: 'budget-pipeline-slots' }
await agent('first')
await agent('second')
// Spent: each item's first stage throws, so the item is null and its later stages never run.
let secondStage = 0
const out = await pipeline(
  ['x', 'y', 'z'],
  (item) => agent(`draft ${item}`),
  (draft) => { secondStage++; return draft.toUpperCase() },
)
return { out, secondStage }
