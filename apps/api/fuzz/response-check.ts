import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema, OpenApiDocument, Operation } from './openapi-operations.ts';

// ajv-formats is CommonJS: its default export is the plugin function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** An answer as received. */
export interface ReceivedResponse {
  status: number;
  contentType: string;
  text: string;
}

const DOCUMENT_ID = 'openapi';

/** `#/components/schemas/X` → `openapi#/components/schemas/X`, so inline schemas resolve against the document. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${DOCUMENT_ID}${v}` : rebase(v),
    ]),
  );
}

/**
 * Checks answers against the document: the status is one the operation documents, the media type is one documented
 * for that status, and a JSON body validates (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it, formats checked) against
 * the documented schema, `$ref`s resolved to the components.
 */
export class ResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<JsonSchema, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    // Not strict: OpenAPI's own keywords (`example`, `discriminator`) sit beside the JSON Schema ones.
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  }

  /** Every way `received` breaks the contract of `operation`; empty when it keeps it. */
  problems(operation: Operation, received: ReceivedResponse): string[] {
    if (received.status >= 500) return [`status ${received.status} (a server error)`];
    const documented = operation.responses[String(received.status)];
    if (!documented)
      return [
        `status ${received.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`,
      ];
    const media = received.contentType.split(';')[0]!.trim().toLowerCase();
    const mediaTypes = Object.keys(documented.content);
    if (mediaTypes.length === 0) return received.text === '' ? [] : ['a body where the document declares none'];
    if (!mediaTypes.includes(media))
      return [
        `content type "${received.contentType}" is not documented for ${received.status} (${mediaTypes.join(', ')})`,
      ];
    const schema = documented.content[media];
    if (!schema || !media.includes('json')) return [];
    let body: unknown;
    try {
      body = JSON.parse(received.text);
    } catch {
      return [`the ${received.status} body is not JSON`];
    }
    const validate = this.validatorFor(schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message} (${e.schemaPath})`);
  }

  private validatorFor(schema: JsonSchema): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema) as object);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}
