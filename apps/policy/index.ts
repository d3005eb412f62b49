// Policies: the JSON form (types.ts is the schema) and its validator.
export * from './types.js';
export * from './validate.js';
export * from './split.js';
export * from './aggregate.js';
export * from './decoders.js';
