import { DocumentValidators } from './document-validators.ts';
import type { OpenApiDocument, Operation } from './openapi-operations.ts';

/** An answer as received. */
export interface ReceivedResponse {
  status: number;
  contentType: string;
  text: string;
}

/**
 * Checks answers against the document: the status is one the operation documents, the media type is one documented
 * for that status, and a JSON body validates (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it, formats checked) against
 * the documented schema, `$ref`s resolved to the components.
 */
export class ResponseChecker {
  private readonly validators: DocumentValidators;

  constructor(document: OpenApiDocument) {
    this.validators = new DocumentValidators(document, { allErrors: true });
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
    const validate = this.validators.for(schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message} (${e.schemaPath})`);
  }
}
