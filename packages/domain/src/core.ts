/**
 * The part of the domain with no schemas: error codes and model paths. Importing the package root
 * builds every zod schema (about 0.2 s of start-up); hashing and signing need only this.
 */
export * from './errors.js';
export * from './paths.js';
