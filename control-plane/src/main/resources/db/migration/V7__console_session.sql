-- Sign-in sessions of the operators' console. The browser holds a random session id in an HttpOnly
-- cookie; only its SHA-256 is kept here, so reading this table does not let anyone sign in.
-- Every replica reads the same rows: a session opened on one works on all, and signing out on one
-- ends it everywhere (within the operators' cache TTL).
CREATE TABLE console_session (
    id_hash    text        PRIMARY KEY,
    -- How the session finds its operator again on every request, so that revoking the operator
    -- token ends its sessions: the token's SHA-256 exactly as operator_token.token_hash holds it,
    -- or, for the bootstrap TOLLGATE_ADMIN_TOKEN (bootstrap = true), an HMAC of it keyed from the
    -- encryption key (a changed bootstrap token ends its sessions; a weak one cannot be guessed
    -- offline from this table).
    token_hash text        NOT NULL,
    bootstrap  boolean     NOT NULL,
    created_at timestamptz NOT NULL,
    -- Idle end, moved forward on use (at most once a minute), never past ends_at.
    expires_at timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    CHECK (expires_at <= ends_at)
);
-- Sign-in deletes the expired sessions.
CREATE INDEX console_session_expires_idx ON console_session (expires_at);
