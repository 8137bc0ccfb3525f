import type { HealthCheck } from './health-check.ts';

/**
 * An HTTP service is up when it answers `url` with any status below 500. OSRM, for one, has no health endpoint and
 * answers its root with 400 `InvalidUrl` — an answer is all we need to know it is serving.
 */
export function httpHealthCheck(name: string, adapter: string, url: string, timeoutMs = 1_500): HealthCheck {
  return {
    name,
    adapter,
    check: async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      if (response.status >= 500) throw new Error(`${url} answered HTTP ${response.status}`);
    },
  };
}
