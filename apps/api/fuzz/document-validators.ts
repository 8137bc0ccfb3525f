import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema, OpenApiDocument } from './openapi-operations.ts';

// ajv-formats is CommonJS: its default export is the plugin function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

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
 * ajv validators (JSON Schema 2020-12 as OpenAPI 3.1 uses it, formats checked) for schemas taken from one OpenAPI
 * document, `$ref`s resolved against its components; each schema is compiled once. Not strict: OpenAPI's own keywords
 * (`example`, `discriminator`) sit beside the JSON Schema ones.
 */
export class DocumentValidators {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<JsonSchema, ValidateFunction>();

  /** `allErrors`: every violation (to report them all) or the first only (enough to say why something is refused). */
  constructor(document: OpenApiDocument, options: { allErrors: boolean }) {
    this.ajv = new Ajv2020({ strict: false, allErrors: options.allErrors, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  }

  /** The validator of a schema of the document (compiled on first use). */
  for(schema: JsonSchema): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema) as object);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}
