import { randomUUID } from 'node:crypto';
import type { Role } from '../contracts/index.ts';
import type { AuditLog } from './audit-log.ts';
import type { RegistryDb, RegistrySql } from './registry-db.ts';
import { hashSecret, newSecret, tokenDigest, verifySecret } from './secrets.ts';

export interface Principal {
  /** who, for the audit log: `user:alice`, `token:<name>`, `admin` */
  name: string;
  roles: Role[];
}

export interface TokenInfo {
  id: string;
  name: string;
  roles: Role[];
  owner: string | null;
  createdAt: string;
  expiresAt: string | null;
}

/**
 * What an internal service may do on the broker. `gateway`: publish positions for any
 * registered tracker (a tracker gateway run as its own process). `observer`: subscribe to all
 * device topics (integrations, the bench).
 */
export type ServiceScope = 'gateway' | 'observer';

interface TokenRow { id: string; name: string; token_hash: string; roles: string; owner: string | null; created_at: string; expires_at: string | null }

const TOKEN_COLUMNS = 'id, name, token_hash, roles, owner, created_at, expires_at';
/** What every login costs an unknown user too, so the answer takes as long either way. */
const NO_USER_HASH = 'scrypt$32768$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Users, API tokens and internal service accounts. Tokens are also held in memory (every HTTP
 * request and Socket.IO handshake checks one); another instance's token changes reach the cache
 * through the port's notices.
 */
export class Accounts {
  private readonly changeListeners = new Set<() => void>();
  /** token digest → row */
  private tokens = new Map<string, TokenRow>();
  /** reloads after other instances' notices, one after another */
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(private readonly db: RegistryDb, private readonly audit: AuditLog, private readonly now: () => number) {}

  /** Reads the tokens into memory and follows the token changes other instances make. */
  static async open(db: RegistryDb, audit: AuditLog, now: () => number, onError: (err: Error) => void = () => {}): Promise<Accounts> {
    const accounts = new Accounts(db, audit, now);
    await accounts.reloadTokens();
    db.onChange((change) => {
      if (change !== 'resync' && change.kind !== 'tokens') return;
      accounts.refreshing = accounts.refreshing
        .then(() => accounts.reloadTokens())
        .then(() => accounts.tokensChanged())
        .catch(onError);
    });
    return accounts;
  }

  /** Resolves once the changes heard of so far are in the cache. */
  settled(): Promise<void> {
    return this.refreshing;
  }

  private async reloadTokens(): Promise<void> {
    const { rows } = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens`);
    const at = this.now();
    this.tokens = new Map(rows.filter((r) => !r.expires_at || Date.parse(r.expires_at) > at).map((r) => [r.token_hash, r]));
  }

  /**
   * Calls `listener` after a token stopped being valid (revoked, replaced, its user deleted), so
   * that live connections holding it can be ended at once. Returns the unsubscribe.
   */
  onTokensChanged(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private tokensChanged(): void {
    for (const l of this.changeListeners) l();
  }

  /** Runs a token change in a transaction with its notice to the other instances, then reloads the cache. */
  private async changeTokens<T>(change: (tx: RegistrySql) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(async (tx) => {
      const r = await change(tx);
      await this.db.notify(tx, { kind: 'tokens' });
      return r;
    });
    await this.reloadTokens();
    return result;
  }

  async createUser(username: string, password: string, roles: Role[], actor: string): Promise<void> {
    const hash = await hashSecret(password, 'password');
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO users (username, password_hash, roles, created_at) VALUES ($1, $2, $3, $4)', [username, hash, JSON.stringify(roles), this.iso()]);
      await this.audit.recordIn(tx, actor, 'user.create', username, { roles });
    });
  }

  async hasUser(username: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM users WHERE username = $1', [username])).rows.length > 0;
  }

  async listUsers(): Promise<{ username: string; roles: Role[]; createdAt: string }[]> {
    const { rows } = await this.db.query<{ username: string; roles: string; created_at: string }>('SELECT username, roles, created_at FROM users ORDER BY username');
    return rows.map((r) => ({ username: r.username, roles: JSON.parse(r.roles) as Role[], createdAt: r.created_at }));
  }

  async deleteUser(username: string, actor: string): Promise<boolean> {
    const removed = await this.changeTokens(async (tx) => {
      const n = (await tx.query('DELETE FROM users WHERE username = $1', [username])).rowCount;
      if (n) {
        await tx.query('DELETE FROM api_tokens WHERE owner = $1', [`user:${username}`]);
        await this.audit.recordIn(tx, actor, 'user.delete', username);
      }
      return n > 0;
    });
    if (removed) this.tokensChanged();
    return removed;
  }

  /** Checks a password; on success issues a session token that expires. */
  async login(username: string, password: string, sessionMs: number): Promise<{ token: string; roles: Role[]; expiresAt: string } | undefined> {
    const { rows } = await this.db.query<{ password_hash: string; roles: string }>('SELECT password_hash, roles FROM users WHERE username = $1', [username]);
    const row = rows[0];
    const ok = await verifySecret(password, row?.password_hash ?? NO_USER_HASH);
    if (!row || !ok) return undefined;
    const roles = JSON.parse(row.roles) as Role[];
    const expiresAt = new Date(this.now() + sessionMs).toISOString();
    const { token } = await this.changeTokens(async (tx) => {
      const created = await this.insertToken(tx, `session:${username}`, roles, `user:${username}`, expiresAt);
      await this.audit.recordIn(tx, `user:${username}`, 'user.login', username);
      return created;
    });
    return { token, roles, expiresAt };
  }

  async createToken(name: string, roles: Role[], actor: string): Promise<TokenInfo & { token: string }> {
    return this.changeTokens(async (tx) => {
      const created = await this.insertToken(tx, name, roles, actor, null);
      await this.audit.recordIn(tx, actor, 'token.create', created.id, { name, roles });
      return created;
    });
  }

  /** Puts a token whose value the operator chose (HUB_ADMIN_TOKEN) in place of the built-in admin's. */
  async setAdminToken(token: string): Promise<void> {
    await this.changeTokens(async (tx) => {
      await tx.query("DELETE FROM api_tokens WHERE id = 'admin'");
      await tx.query(`INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL)`, ['admin', 'built-in admin', tokenDigest(token), JSON.stringify(['admin']), 'admin', this.iso()]);
    });
    this.tokensChanged();
  }

  async hasAdminToken(): Promise<boolean> {
    return (await this.db.query("SELECT 1 FROM api_tokens WHERE id = 'admin'")).rows.length > 0;
  }

  private async insertToken(tx: RegistrySql, name: string, roles: Role[], owner: string, expiresAt: string | null): Promise<TokenInfo & { token: string }> {
    const id = randomUUID();
    const token = `mh_${newSecret()}`;
    const createdAt = this.iso();
    await tx.query(`INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [id, name, tokenDigest(token), JSON.stringify(roles), owner, createdAt, expiresAt]);
    return { id, name, roles, owner, createdAt, expiresAt, token };
  }

  async listTokens(): Promise<TokenInfo[]> {
    const { rows } = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE name NOT LIKE 'session:%' ORDER BY created_at`);
    return rows.map(toTokenInfo);
  }

  async revokeToken(id: string, actor: string): Promise<boolean> {
    const revoked = await this.changeTokens(async (tx) => {
      const n = (await tx.query('DELETE FROM api_tokens WHERE id = $1', [id])).rowCount;
      if (n) await this.audit.recordIn(tx, actor, 'token.revoke', id);
      return n > 0;
    });
    if (revoked) this.tokensChanged();
    return revoked;
  }

  /** The principal a bearer token stands for, or undefined when unknown or expired. From memory. */
  authenticateToken(token: string): Principal | undefined {
    const row = this.tokens.get(tokenDigest(token));
    if (!row) return undefined;
    if (row.expires_at && Date.parse(row.expires_at) <= this.now()) return undefined;
    return { name: row.id === 'admin' ? 'admin' : row.owner?.startsWith('user:') ? row.owner : `token:${row.name}`, roles: JSON.parse(row.roles) as Role[] };
  }

  /** Internal MQTT credentials for a service; the secret is returned once. */
  async createServiceAccount(username: string, scope: ServiceScope, actor: string): Promise<string> {
    const secret = newSecret();
    const hash = await hashSecret(secret, 'secret');
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO service_accounts (username, secret_hash, scope, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO UPDATE SET secret_hash = excluded.secret_hash, scope = excluded.scope, created_at = excluded.created_at`,
        [username, hash, scope, this.iso()],
      );
      await this.audit.recordIn(tx, actor, 'service.credentials', username, { scope });
    });
    return secret;
  }

  async authenticateService(username: string, secret: string): Promise<ServiceScope | undefined> {
    const { rows } = await this.db.query<{ secret_hash: string; scope: ServiceScope }>('SELECT secret_hash, scope FROM service_accounts WHERE username = $1', [username]);
    const row = rows[0];
    if (!row) return undefined;
    return (await verifySecret(secret, row.secret_hash)) ? row.scope : undefined;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

const toTokenInfo = (r: TokenRow): TokenInfo => ({
  id: r.id, name: r.name, roles: JSON.parse(r.roles) as Role[], owner: r.owner, createdAt: r.created_at, expiresAt: r.expires_at,
});
