export * from './errors.js';
export * from './names.js';
export * from './license.js';
export * from './roles.js';
export * from './api.js';
export * from './paths.js';
export * from './api-governance.js';
export * from './api-signing.js';
