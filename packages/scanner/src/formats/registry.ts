/**
 * Every format handler, in detection order: specific magic numbers first, structural parses next,
 * plain text and data last. Content decides; see docs/scanner.md for how ties are broken.
 */
import type { FormatHandler } from '../context.js';
import { dataHandler, jsonHandler, pythonSourceHandler, textHandler } from './plain.js';

export const HANDLERS: readonly FormatHandler[] = [
  // Model and archive formats are inserted here as they land.
  jsonHandler,
  pythonSourceHandler,
  textHandler,
  dataHandler,
];
