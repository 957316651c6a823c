/**
 * Schema migrations of the embedded store, applied in order; PRAGMA user_version records how many ran.
 * Append new steps; never edit a released one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    hostname TEXT,
    version TEXT,
    last_seen_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE commands (
    id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    command TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    timeout_ms INTEGER,
    queued_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    exit_code INTEGER,
    signal TEXT,
    duration_ms INTEGER,
    message TEXT,
    last_sequence INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX commands_by_agent ON commands (agent_id, queued_at);
  CREATE INDEX commands_by_status ON commands (status, queued_at);
  CREATE INDEX commands_by_time ON commands (queued_at);
  CREATE VIRTUAL TABLE commands_fts USING fts5 (command, content='commands', content_rowid='rowid');
  CREATE TRIGGER commands_fts_insert AFTER INSERT ON commands BEGIN
    INSERT INTO commands_fts (rowid, command) VALUES (new.rowid, new.command);
  END;
  CREATE TRIGGER commands_fts_delete AFTER DELETE ON commands BEGIN
    INSERT INTO commands_fts (commands_fts, rowid, command) VALUES ('delete', old.rowid, old.command);
  END;
  CREATE TABLE output (
    command_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    stream TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (command_id, sequence)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE events (offset INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, text TEXT NOT NULL);
  CREATE INDEX events_by_time ON events (created_at);
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    remote TEXT
  );
  CREATE INDEX audit_by_time ON audit (at);
  CREATE INDEX output_by_time ON output (created_at);
  `,
  `
  ALTER TABLE events ADD COLUMN command_id TEXT;
  ALTER TABLE events ADD COLUMN agent_id TEXT;
  ALTER TABLE events ADD COLUMN sequence INTEGER;
  ALTER TABLE events ADD COLUMN timestamp INTEGER;
  `,
  // Output rows are ~10 KB: SQLite advises against WITHOUT ROWID for rows over ~1/20 of a page, and
  // a rowid table with a unique index costs less CPU per inserted chunk (docs/performance-log.md).
  `
  CREATE TABLE output_by_rowid (
    command_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    stream TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (command_id, sequence)
  );
  INSERT INTO output_by_rowid (command_id, sequence, stream, data, created_at)
    SELECT command_id, sequence, stream, data, created_at FROM output ORDER BY command_id, sequence;
  DROP TABLE output;
  ALTER TABLE output_by_rowid RENAME TO output;
  CREATE INDEX output_by_time ON output (created_at);
  `,
  // Issue 12: AI runs. Trace records are stored like output (rowid table, unique per command and
  // sequence); an event-log row refers to one with trace = 1. Sessions on agents and commands,
  // budgets, and each command's usage totals (those of its last usage event).
  `
  CREATE TABLE trace (
    command_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (command_id, sequence)
  );
  CREATE INDEX trace_by_time ON trace (created_at);
  ALTER TABLE events ADD COLUMN trace INTEGER;
  ALTER TABLE agents ADD COLUMN session_id TEXT;
  ALTER TABLE agents ADD COLUMN cwd TEXT;
  ALTER TABLE agents ADD COLUMN model TEXT;
  ALTER TABLE commands ADD COLUMN last_trace_sequence INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE commands ADD COLUMN max_tokens INTEGER;
  ALTER TABLE commands ADD COLUMN max_cost_usd REAL;
  ALTER TABLE commands ADD COLUMN new_session INTEGER;
  ALTER TABLE commands ADD COLUMN resume_session_id TEXT;
  ALTER TABLE commands ADD COLUMN session_id TEXT;
  ALTER TABLE commands ADD COLUMN stop_reason TEXT;
  ALTER TABLE commands ADD COLUMN input_tokens INTEGER;
  ALTER TABLE commands ADD COLUMN output_tokens INTEGER;
  ALTER TABLE commands ADD COLUMN cache_read_tokens INTEGER;
  ALTER TABLE commands ADD COLUMN cache_write_tokens INTEGER;
  ALTER TABLE commands ADD COLUMN cost_usd REAL;
  ALTER TABLE commands ADD COLUMN cost_source TEXT;
  ALTER TABLE commands ADD COLUMN usage_model TEXT;
  CREATE INDEX commands_with_usage ON commands (queued_at) WHERE input_tokens IS NOT NULL;
  `,
];
