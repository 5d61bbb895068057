import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../services/context.js';
import { WebhookDispatcher } from './dispatcher.js';
import { DeliverySender } from './sender.js';

/** The dispatcher (audit events -> deliveries) and the sender (deliveries -> HTTP), started and stopped with the server. */
export class Webhooks {
  readonly dispatcher: WebhookDispatcher;
  readonly sender: DeliverySender;

  constructor(deps: Pick<Deps, 'db' | 'dbKind' | 'now' | 'config' | 'masterKey'>, log: FastifyBaseLogger | null) {
    this.sender = new DeliverySender(deps, log);
    this.dispatcher = new WebhookDispatcher(deps, () => this.sender.wake(), log);
  }

  async start(): Promise<void> {
    await this.sender.start();
    this.dispatcher.start();
  }

  /** After an audit append (see `audit()`); a pass that reads new events wakes the sender. */
  wake(): void {
    this.dispatcher.wake();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.sender.stop();
  }
}
