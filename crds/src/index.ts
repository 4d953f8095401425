export * from './resources.js';
export * from './meta.js';
export * from './conditions.js';
export * from './validation.js';
export * from './jsonschema.js';
export * from './generated/types.js';
export { generateTypes } from './generate.js';
export * from './signing.js';
export * from './redact.js';
