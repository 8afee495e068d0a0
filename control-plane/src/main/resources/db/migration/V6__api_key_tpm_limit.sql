-- Tokens per minute a client key may use, enforced by the data planes through Redis (charged from
-- each response's usage); 0 = no limit. Replicated as ApiKey.tpm_limit.
ALTER TABLE api_key ADD COLUMN tpm_limit int NOT NULL DEFAULT 0 CHECK (tpm_limit >= 0);
