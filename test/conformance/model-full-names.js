// expect: ["string","string","string","string","string","string"]
// parity: P-MODEL-6 P-MODEL-8
// e2e
export const meta = { name: 'model-full-names' }
const models = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-3-5-haiku-20241022', 'sonnet[1m]', 'opusplan', 'best']
const out = await parallel(models.map((model) => () => agent(`Answer briefly as ${model}.`, { model, label: model })))
return out.map((x) => typeof x)
