import type { LiveListener, LiveMessage } from './live-feed.ts';

/**
 * Listeners per channel, shared by both adapters: the adapter only decides when the backing subscription starts
 * (first listener) and stops (last listener), and hands each received message to `dispatch`.
 */
export class ListenerRegistry {
  private readonly byChannel = new Map<string, Set<LiveListener>>();

  constructor(private readonly onListenerError: (error: unknown, channel: string) => void) {}

  /** Adds `listener`; true when it is the channel's first one. */
  add(channel: string, listener: LiveListener): boolean {
    let set = this.byChannel.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.byChannel.set(channel, set);
    }
    set.add(listener);
    return first;
  }

  /** Removes `listener`; true when the channel has no listener left. */
  remove(channel: string, listener: LiveListener): boolean {
    const set = this.byChannel.get(channel);
    if (!set?.delete(listener)) return false;
    if (set.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  clear(): void {
    this.byChannel.clear();
  }

  /** Calls every listener of `channel`; one that throws is reported and the others still run. */
  dispatch(channel: string, text: string): void {
    const set = this.byChannel.get(channel);
    if (!set || set.size === 0) return;
    let message: LiveMessage;
    try {
      message = JSON.parse(text) as LiveMessage;
    } catch (error) {
      this.onListenerError(error, channel);
      return;
    }
    for (const listener of [...set]) {
      try {
        listener(message, text);
      } catch (error) {
        this.onListenerError(error, channel);
      }
    }
  }
}
