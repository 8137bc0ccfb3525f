-- Up Migration

-- Bearer credentials (issue 13; who may do what: internal/auth/policy.ts): operator keys, store keys and rider tokens.
-- Only the SHA-256 of a token is stored (hex); the token itself is shown once, when it is created. `subject_id` is the
-- store (store key) or rider (rider token) the credential is bound to; operator keys have none. A revoked credential
-- keeps its row (`revoked_at` set) so `npm run keys -- list` can still show it.
CREATE TABLE credentials (
  id          uuid PRIMARY KEY,
  kind        text        NOT NULL CHECK (kind IN ('operator', 'store', 'rider')),
  subject_id  uuid        NULL,
  token_hash  text        NOT NULL UNIQUE,
  label       text        NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz NULL,
  CHECK ((kind = 'operator') = (subject_id IS NULL))
);

CREATE INDEX credentials_subject_idx ON credentials (kind, subject_id);

-- The customer's read token of an order (`dgo_or_…`, returned by POST /orders), hashed like the credentials above.
ALTER TABLE orders ADD COLUMN read_token_hash text NULL;
CREATE UNIQUE INDEX orders_read_token_hash_idx ON orders (read_token_hash) WHERE read_token_hash IS NOT NULL;

-- Down Migration

DROP INDEX orders_read_token_hash_idx;
ALTER TABLE orders DROP COLUMN read_token_hash;
DROP TABLE credentials;
