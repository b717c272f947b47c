// expect: {"ran":2,"skipped":3,"total":20}
export const meta = { name: 'budget-exhaustion' }
let ran = 0
let skipped = 0
for (let i = 0; i < 5; i++) {
  const r = await agent(`step ${i}`)
  if (r === null) skipped++
  else ran++
}
return { ran, skipped, total: budget.total }
