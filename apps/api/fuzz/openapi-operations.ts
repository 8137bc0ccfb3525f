import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OPENAPI_YAML_PATH } from '../openapi-document.ts';

/**
 * A JSON Schema node of the document (OpenAPI 3.1 = JSON Schema 2020-12), `$ref`s unresolved. Read keyword by keyword
 * by generators that check what they read; typing every keyword would only restate JSON Schema.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type JsonSchema = Record<string, any>;

interface RawParameter {
  name: string;
  in: OperationParameter['in'];
  required?: boolean;
  schema?: JsonSchema;
}

interface RawOperation {
  parameters?: RawParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

/** The parts of a committed OpenAPI document the fuzzer reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation> & { parameters?: RawParameter[] }>;
  components: { schemas: Record<string, JsonSchema> };
}

/** One declared parameter. */
export interface OperationParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

/** One documented answer: its media types and their schemas (none for an answer without a body). */
export interface DocumentedResponse {
  content: Record<string, JsonSchema | undefined>;
}

/** One operation of the document, as the fuzzer drives it. */
export interface Operation {
  /** `GET /stores/{id}`. */
  key: string;
  method: string;
  /** The path template, `/stores/{id}`. */
  path: string;
  parameters: OperationParameter[];
  /** The JSON request body's schema, when the operation takes one. */
  body?: { schema: JsonSchema; required: boolean };
  /** Status code (as written in the document) → documented answer. */
  responses: Record<string, DocumentedResponse>;
}

/** Reads the committed api/openapi.yaml (the contract clients see), not the document the routes would generate now. */
export function loadOpenApiDocument(): OpenApiDocument {
  return parse(readFileSync(OPENAPI_YAML_PATH, 'utf8')) as OpenApiDocument;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method] as RawOperation | undefined;
      if (!op) continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(
        (p): OperationParameter => ({
          name: p.name,
          in: p.in,
          required: p.required === true || p.in === 'path',
          schema: p.schema ?? {},
        }),
      );
      const jsonBody = op.requestBody?.content?.['application/json'];
      const responses: Record<string, DocumentedResponse> = {};
      for (const [status, answer] of Object.entries(op.responses ?? {})) {
        const content: Record<string, JsonSchema | undefined> = {};
        for (const [media, entry] of Object.entries(answer.content ?? {})) content[media] = entry?.schema;
        responses[status] = { content };
      }
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters,
        ...(jsonBody ? { body: { schema: jsonBody.schema ?? {}, required: op.requestBody?.required === true } } : {}),
        responses,
      });
    }
  }
  return operations;
}

/** `{ $ref: '#/components/schemas/X' }` → the schema of X (one level; nested refs are resolved as they are met). */
export function resolveRef(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current?.$ref && hops < 16; hops++) {
    const name = String(current.$ref).replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}
