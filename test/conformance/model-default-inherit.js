// expect: ["string","string","string"]
// parity: P-MODEL-5
// e2e
export const meta = { name: 'model-default-inherit' }
const a = await agent('Say hello (default model).', { model: 'default' })
const b = await agent('Say hello (inherited model).', { model: 'inherit' })
const c = await agent('Say hello (no model).')
return [a, b, c].map((x) => typeof x)
