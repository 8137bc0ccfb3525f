import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_YAML_PATH, renderOpenApiYaml } from './openapi-document.ts';

describe('api/openapi.yaml', () => {
  it('matches the document generated from the routes', async () => {
    const committed = await readFile(OPENAPI_YAML_PATH, 'utf8').catch(() => '');
    const generated = renderOpenApiYaml();
    expect(
      committed === generated,
      'api/openapi.yaml is stale or missing: run `npm run openapi` and commit the result',
    ).toBe(true);
  });

  it('is OpenAPI 3.1 titled deliverygo, listing the API routes and the error shape', () => {
    const document = parse(renderOpenApiYaml()) as {
      openapi: string;
      info: { title: string };
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('deliverygo');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/metrics']));
    expect(document.paths).not.toHaveProperty('/docs');
    expect(document.components.schemas).toHaveProperty('Error');
  });
});
