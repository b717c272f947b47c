export const meta = { name: 'nests' }
return await workflow('inner', 'too deep')
