export { startServer, type RunningServer } from './server.js';
export { loadServerConfig, CONFIG_ENV, type ServerConfig, type ServerConfigInput } from './config.js';
export { buildApp, API_ROUTES, STEWARD_VERSION } from './http/app.js';
export { buildOpenApi } from './http/openapi.js';
export { openDatabase } from './db/database.js';
