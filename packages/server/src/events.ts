import { EventEmitter } from 'node:events';

/** Domain events other parts subscribe to (webhooks, later). Emitted after the change is committed. */
export interface StewardEvents {
  'version.scanned': { org: string; model: string; version: string; versionId: string; scanId: string; verdict: string; trigger: string };
}

export class EventBus {
  private readonly emitter = new EventEmitter();

  on<K extends keyof StewardEvents>(name: K, listener: (payload: StewardEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  emit<K extends keyof StewardEvents>(name: K, payload: StewardEvents[K]): void {
    this.emitter.emit(name, payload);
  }
}
