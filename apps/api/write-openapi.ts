/** `npm run openapi`: regenerates api/openapi.yaml from the API's routes. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OPENAPI_YAML_PATH, renderOpenApiYaml } from './openapi-document.ts';

await writeFile(OPENAPI_YAML_PATH, renderOpenApiYaml());
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_YAML_PATH)}\n`);
