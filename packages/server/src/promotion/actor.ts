import type { ServiceContext } from '../services/context.js';

/** Whether the request came with a token marked as a CI token (token restrictions, ADR 0015). */
export function isCiToken(ctx: ServiceContext): boolean {
  return (ctx.actor as { tokenCi?: boolean }).tokenCi === true;
}
