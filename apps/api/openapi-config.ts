/** Top-level fields of the OpenAPI document; the paths come from the registered routes. */
export const OPENAPI_OBJECT_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'deliverygo',
    version: '0.1.0',
    description: 'Multi-order batching and rider dispatch for food delivery.',
  },
};
