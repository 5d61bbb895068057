export { main, buildProgram } from './main.js';
export { StewardClient, ApiError } from './client.js';
