import { stringify } from 'yaml';
import { Registry } from 'prom-client';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';
import { OPENAPI_OBJECT_CONFIG } from './openapi-config.ts';

/** Path of the committed document, relative to the repository root. */
export const OPENAPI_YAML_PATH = new URL('../../api/openapi.yaml', import.meta.url);

/**
 * The OpenAPI document as `api/openapi.yaml` should contain it. The app is built with inert dependencies: the
 * document depends only on which routes are registered, never on the adapters behind them.
 */
export function renderOpenApiYaml(): string {
  const app = createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });
  const document = app.getOpenAPI31Document(OPENAPI_OBJECT_CONFIG);
  return `# Generated from the routes in apps/api/routes by \`npm run openapi\`. Do not edit.\n${stringify(document, { lineWidth: 0 })}`;
}
