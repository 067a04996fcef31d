-- Bearer tokens of the oVirt-compatible REST API (POST /ovirt-engine/sso/oauth/token). Only a SHA-256
-- of each token is stored, so the table never holds a usable credential.
CREATE TABLE api_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX api_tokens_expiry_idx ON api_tokens (expires_at);
