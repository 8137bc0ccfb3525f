import { DocumentValidators } from './document-validators.ts';
import type { JsonSchema, OpenApiDocument, Operation } from './openapi-operations.ts';
import type { FuzzRequest } from './request-arbitraries.ts';

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** `%ZZ` and other bad escapes: undefined (the document cannot say what such a value is). */
function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Judges a generated request by the document alone: `refusal` says why the document refuses it (a required
 * parameter missing, a value off its schema, a body off the body schema, a body that is not JSON), undefined when the
 * document accepts it or cannot tell (a repeated or undecodable parameter). Such a request must not be answered 2xx:
 * the server would then accept what its contract rules out (as `?lat=` once meant latitude 0).
 */
export class RequestChecker {
  private readonly validators: DocumentValidators;

  constructor(document: OpenApiDocument) {
    this.validators = new DocumentValidators(document, { allErrors: false });
  }

  refusal(operation: Operation, req: FuzzRequest): string | undefined {
    const url = new URL(req.url, 'http://fuzz.invalid');
    // Path parameters: the template's segments against the request's.
    const template = operation.path.split('/');
    const actual = url.pathname.split('/');
    for (const [i, segment] of template.entries()) {
      const name = /^\{(.+)\}$/.exec(segment)?.[1];
      if (!name) continue;
      const param = operation.parameters.find((p) => p.in === 'path' && p.name === name);
      const value = decode(actual[i] ?? '');
      if (!param || value === undefined) return undefined;
      const why = this.valueRefusal(param.schema, value);
      if (why) return `path parameter ${name}: ${why}`;
    }
    // Query parameters (the raw string: URLSearchParams would hide bad escapes).
    const pairs = url.search
      .slice(1)
      .split('&')
      .filter((p) => p !== '')
      .map((p) => {
        const eq = p.indexOf('=');
        return eq === -1 ? [decode(p), ''] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
      });
    if (pairs.some(([k, v]) => k === undefined || v === undefined)) return undefined;
    for (const param of operation.parameters.filter((p) => p.in === 'query')) {
      const values = pairs.filter(([k]) => k === param.name).map(([, v]) => v!);
      if (values.length > 1) return undefined;
      if (values.length === 0) {
        if (param.required) return `query parameter ${param.name} is required`;
        continue;
      }
      const why = this.valueRefusal(param.schema, values[0]!);
      if (why) return `query parameter ${param.name}: ${why}`;
    }
    for (const param of operation.parameters.filter((p) => p.in === 'header')) {
      const value = Object.entries(req.headers).find(([k]) => k.toLowerCase() === param.name.toLowerCase())?.[1];
      if (value === undefined) {
        if (param.required) return `header ${param.name} is required`;
        continue;
      }
      const why = this.valueRefusal(param.schema, value);
      if (why) return `header ${param.name}: ${why}`;
    }
    if (!operation.body) return undefined;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (req.body === undefined || req.body === '') return operation.body.required ? 'the body is required' : undefined;
    // The document's info: `application/json` or any `+json` type.
    if (!/^application\/([a-z0-9.-]+\+)?json$/.test(contentType))
      return `the body is ${contentType || 'untyped'}, not JSON`;
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return 'the body is not JSON';
    }
    const validate = this.validators.for(operation.body.schema);
    if (!validate(body)) return `body${validate.errors?.[0]?.instancePath ?? ''} ${validate.errors?.[0]?.message}`;
    return undefined;
  }

  /** Why a parameter's text is off its schema (numbers and booleans read as the text they are). */
  private valueRefusal(schema: JsonSchema, text: string): string | undefined {
    const resolved = schema.$ref ? { $ref: schema.$ref } : schema;
    const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    let value: unknown = text;
    if (types.includes('number') || types.includes('integer')) {
      if (!NUMBER.test(text)) return types.includes('string') ? undefined : `"${text}" is not a number`;
      value = Number(text);
    } else if (types.includes('boolean')) {
      if (text !== 'true' && text !== 'false') return `"${text}" is not a boolean`;
      value = text === 'true';
    }
    const validate = this.validators.for(resolved);
    return validate(value) ? undefined : `${JSON.stringify(text)} ${validate.errors?.[0]?.message}`;
  }
}
