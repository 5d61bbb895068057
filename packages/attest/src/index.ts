export * from './manifest.js';
export * from './sha256-file.js';
export * from './hash-directory.js';
export * from './bundle.js';
