import type { Migration } from '../../platform/domain-module.ts';

/**
 * The lighting domain's tables: cabinets' acks, dispatch (groups, schedules, overrides, commands),
 * faults, OPC UA models. Instants are epoch milliseconds (INTEGER), so the scheduler compares
 * numbers; the REST API shows them as ISO 8601 UTC.
 */
export const LIGHTING_MIGRATIONS: readonly Migration[] = [
  {
    id: 'lighting:1',
    sql: `CREATE TABLE lighting_command_acks (
            cmd_id TEXT NOT NULL,
            controller_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            received_at TEXT NOT NULL,
            PRIMARY KEY (controller_id, cmd_id)
          );`,
  },
  {
    id: 'lighting:2',
    sql: `CREATE TABLE lighting_groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            updated_at INTEGER NOT NULL
          );
          CREATE TABLE lighting_group_members (
            controller_id TEXT PRIMARY KEY,
            group_id TEXT NOT NULL REFERENCES lighting_groups(id) ON DELETE CASCADE
          );
          CREATE INDEX lighting_group_members_group ON lighting_group_members(group_id);
          CREATE TABLE lighting_schedules (
            group_id TEXT PRIMARY KEY REFERENCES lighting_groups(id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            updated_by TEXT NOT NULL
          );
          CREATE TABLE lighting_overrides (
            id TEXT PRIMARY KEY,
            group_id TEXT,
            controller_id TEXT,
            level REAL NOT NULL,
            priority TEXT NOT NULL,
            note TEXT,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            ended_at INTEGER,
            ended_by TEXT
          );
          CREATE INDEX lighting_overrides_open ON lighting_overrides(ended_at, expires_at);
          CREATE TABLE lighting_commands (
            id TEXT PRIMARY KEY,
            controller_id TEXT NOT NULL,
            action TEXT NOT NULL,
            level REAL,
            source TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_sent_at INTEGER,
            next_attempt_at INTEGER,
            finished_at INTEGER,
            detail TEXT
          );
          CREATE INDEX lighting_commands_controller ON lighting_commands(controller_id, created_at);
          CREATE INDEX lighting_commands_open ON lighting_commands(state) WHERE state IN ('pending', 'sent');`,
    // Shared in a cluster: groups, their members and schedules, overrides (operator-made). The
    // commands came later (lighting:5).
    postgres: `CREATE TABLE lighting_groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            updated_at BIGINT NOT NULL
          );
          CREATE TABLE lighting_group_members (
            controller_id TEXT PRIMARY KEY,
            group_id TEXT NOT NULL REFERENCES lighting_groups(id) ON DELETE CASCADE
          );
          CREATE INDEX lighting_group_members_group ON lighting_group_members(group_id);
          CREATE TABLE lighting_schedules (
            group_id TEXT PRIMARY KEY REFERENCES lighting_groups(id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            updated_by TEXT NOT NULL
          );
          CREATE TABLE lighting_overrides (
            id TEXT PRIMARY KEY,
            group_id TEXT,
            controller_id TEXT,
            level DOUBLE PRECISION NOT NULL,
            priority TEXT NOT NULL,
            note TEXT,
            created_at BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            ended_at BIGINT,
            ended_by TEXT
          );
          CREATE INDEX lighting_overrides_open ON lighting_overrides(ended_at, expires_at);`,
  },
  {
    id: 'lighting:3',
    sql: `CREATE TABLE lighting_faults (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            controller_id TEXT NOT NULL,
            code TEXT NOT NULL,
            lamp_id TEXT NOT NULL DEFAULT '',
            detail TEXT,
            raised_at INTEGER NOT NULL,
            acked_at INTEGER,
            acked_by TEXT,
            cleared_at INTEGER
          );
          CREATE UNIQUE INDEX lighting_faults_active ON lighting_faults(controller_id, code, lamp_id) WHERE cleared_at IS NULL;
          CREATE INDEX lighting_faults_raised ON lighting_faults(raised_at);
          CREATE TABLE lighting_ratings (
            controller_id TEXT PRIMARY KEY,
            rated_w REAL NOT NULL
          );
          CREATE TABLE lighting_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
          );`,
    // Shared in a cluster: raised and cleared by the dispatch lease holder, acknowledged anywhere;
    // thresholds and ratings set anywhere. Times are epoch ms.
    postgres: `CREATE TABLE lighting_faults (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            controller_id TEXT NOT NULL,
            code TEXT NOT NULL,
            lamp_id TEXT NOT NULL DEFAULT '',
            detail TEXT,
            raised_at BIGINT NOT NULL,
            acked_at BIGINT,
            acked_by TEXT,
            cleared_at BIGINT
          );
          CREATE UNIQUE INDEX lighting_faults_active ON lighting_faults(controller_id, code, lamp_id) WHERE cleared_at IS NULL;
          CREATE INDEX lighting_faults_raised ON lighting_faults(raised_at);
          CREATE TABLE lighting_ratings (
            controller_id TEXT PRIMARY KEY,
            rated_w DOUBLE PRECISION NOT NULL
          );
          CREATE TABLE lighting_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
          );`,
  },
  {
    id: 'lighting:4',
    sql: `CREATE TABLE lighting_models (
            id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at INTEGER NOT NULL
          );
          CREATE TABLE lighting_opcua_bindings (
            controller_id TEXT PRIMARY KEY,
            endpoint_url TEXT NOT NULL,
            model_id TEXT NOT NULL
          );`,
    // Shared in a cluster: models and bindings set on any instance. updated_at is epoch ms.
    postgres: `CREATE TABLE lighting_models (
            id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at BIGINT NOT NULL
          );
          CREATE TABLE lighting_opcua_bindings (
            controller_id TEXT PRIMARY KEY,
            endpoint_url TEXT NOT NULL,
            model_id TEXT NOT NULL
          );`,
  },
  {
    id: 'lighting:5',
    // The commands and the cabinets' acks move to the shared tables; their SQLite tables came with
    // lighting:1 (acks) and lighting:2 (commands), so there is nothing to do in the instance's file.
    sql: '',
    postgres: `CREATE TABLE lighting_commands (
            id TEXT PRIMARY KEY,
            controller_id TEXT NOT NULL,
            action TEXT NOT NULL,
            level DOUBLE PRECISION,
            source TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_sent_at BIGINT,
            next_attempt_at BIGINT,
            finished_at BIGINT,
            detail TEXT
          );
          CREATE INDEX lighting_commands_controller ON lighting_commands(controller_id, created_at);
          CREATE INDEX lighting_commands_open ON lighting_commands(state) WHERE state IN ('pending', 'sent');
          CREATE TABLE lighting_command_acks (
            cmd_id TEXT NOT NULL,
            controller_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            received_at TEXT NOT NULL,
            PRIMARY KEY (controller_id, cmd_id)
          );
          CREATE INDEX lighting_command_acks_received ON lighting_command_acks(received_at);`,
  },
];
