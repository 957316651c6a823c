/**
 * Schema migrations of the PostgreSQL store, applied in order at start (migrate.ts); the
 * `schema_migrations` table records which ran. Append new steps; never edit a released one.
 *
 * Times are milliseconds since the epoch in bigint columns, as in the SQLite store, so both read back
 * the same records. Ids and names sort bytewise (COLLATE "C"), as SQLite compares them.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE agents (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    type text NOT NULL,
    hostname text,
    version text,
    last_seen_at bigint NOT NULL,
    session_id text,
    cwd text,
    model text
  );
  CREATE TABLE commands (
    id text COLLATE "C" PRIMARY KEY,
    agent_id text COLLATE "C" NOT NULL,
    command text NOT NULL,
    priority text NOT NULL,
    status text NOT NULL,
    requested_by text NOT NULL,
    timeout_ms bigint,
    queued_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    exit_code integer,
    signal text,
    duration_ms bigint,
    message text,
    last_sequence bigint NOT NULL DEFAULT 0,
    last_trace_sequence bigint NOT NULL DEFAULT 0,
    max_tokens bigint,
    max_cost_usd double precision,
    new_session boolean,
    resume_session_id text,
    session_id text,
    stop_reason text,
    input_tokens bigint,
    output_tokens bigint,
    cache_read_tokens bigint,
    cache_write_tokens bigint,
    cost_usd double precision,
    cost_source text,
    usage_model text,
    -- Insertion order, for commands queued in the same millisecond on different nodes.
    inserted bigserial NOT NULL,
    -- Words as SQLite's FTS5 (unicode61) cuts them: runs of letters, digits and underscores.
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(command, '[^[:alnum:]_]+', ' ', 'g'))) STORED
  );
  CREATE INDEX commands_by_agent ON commands (agent_id, queued_at);
  CREATE INDEX commands_by_status ON commands (status, queued_at);
  CREATE INDEX commands_by_time ON commands (queued_at DESC, id DESC);
  CREATE INDEX commands_search ON commands USING gin (search);
  CREATE INDEX commands_with_usage ON commands (queued_at) WHERE input_tokens IS NOT NULL;
  CREATE TABLE output (
    command_id text COLLATE "C" NOT NULL,
    sequence bigint NOT NULL,
    stream text NOT NULL,
    data text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (command_id, sequence)
  );
  CREATE INDEX output_by_time ON output (created_at);
  CREATE TABLE trace (
    command_id text COLLATE "C" NOT NULL,
    sequence bigint NOT NULL,
    kind text NOT NULL,
    event text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (command_id, sequence)
  );
  CREATE INDEX trace_by_time ON trace (created_at);
  -- The one ordering point of the shared history: every event transaction moves it, and its row
  -- lock, held until commit, makes offsets follow commit order with none skipped.
  CREATE TABLE event_counter (id integer PRIMARY KEY CHECK (id = 1), top bigint NOT NULL);
  INSERT INTO event_counter (id, top) VALUES (1, 0);
  CREATE TABLE events (
    event_offset bigint PRIMARY KEY,
    created_at bigint NOT NULL,
    text text NOT NULL,
    command_id text COLLATE "C",
    agent_id text COLLATE "C",
    sequence bigint,
    "timestamp" bigint,
    trace boolean
  );
  CREATE INDEX events_by_time ON events (created_at);
  CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    at bigint NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    action text NOT NULL,
    target text,
    detail jsonb,
    remote text
  );
  CREATE INDEX audit_by_time ON audit (at);
  `,
  // Several nodes (docs/scale-out.md): who holds each agent, under which generation; which commands
  // an owner has sent; interrupts for whichever node owns the agent; the nodes' leases.
  `
  ALTER TABLE agents ADD COLUMN owner_node text, ADD COLUMN generation bigint NOT NULL DEFAULT 0, ADD COLUMN connected_at bigint;
  ALTER TABLE commands ADD COLUMN dispatched boolean NOT NULL DEFAULT false, ADD COLUMN interrupt_requested text;
  CREATE INDEX commands_unfinished ON commands (agent_id, inserted) WHERE status IN ('queued', 'running');
  CREATE TABLE nodes (id text COLLATE "C" PRIMARY KEY, expires_at bigint NOT NULL, started_at bigint NOT NULL);
  `,
  // A node that adopts a command asks how far its output and trace reached dashboards (events).
  `
  CREATE INDEX events_by_command ON events (command_id, sequence) WHERE command_id IS NOT NULL;
  `,
  // Approval questions of AI runs, answerable on any node: the question as dashboards got it, and its
  // decision, written with the events announcing them (pg-approvals.ts).
  `
  CREATE TABLE approvals (
    id text COLLATE "C" PRIMARY KEY,
    agent_id text COLLATE "C" NOT NULL,
    command_id text COLLATE "C" NOT NULL,
    requested_at bigint NOT NULL,
    question text NOT NULL,
    decided text,
    decided_at bigint
  );
  CREATE INDEX approvals_waiting ON approvals (requested_at) WHERE decided IS NULL;
  CREATE INDEX approvals_decided ON approvals (decided_at) WHERE decided IS NOT NULL;
  `,
  // One mark per event transaction, so that a node whose COMMIT went unanswered finds out whether
  // it committed before it tries again (pg-coordination.ts); kept a short while.
  `
  CREATE TABLE event_commits (token text COLLATE "C" PRIMARY KEY, first_offset bigint NOT NULL, created_at bigint NOT NULL);
  CREATE INDEX event_commits_by_time ON event_commits (created_at);
  `,
  // Emergency stops and command inserts serialize on this one row (pg-coordination.ts): a stop holds it
  // exclusively for its sweep and its answer, every insert holds it shared, so a request commits
  // either before a stop (and is cancelled by it) or after its answer (and is a new request).
  `
  CREATE TABLE emergency_stop (id integer PRIMARY KEY CHECK (id = 1), stops bigint NOT NULL);
  INSERT INTO emergency_stop (id, stops) VALUES (1, 0);
  `,
];
