import { randomUUID } from 'node:crypto';
import type { Role } from '../contracts/index.ts';
import type { AuditLog } from './audit-log.ts';
import type { Db } from './database.ts';
import type { Statement } from 'better-sqlite3';
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

interface TokenRow { id: string; name: string; roles: string; owner: string | null; created_at: string; expires_at: string | null }

/** Users, API tokens and internal service accounts. */
export class Accounts {
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly db: Db, private readonly audit: AuditLog, private readonly now: () => number) {}

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

  async createUser(username: string, password: string, roles: Role[], actor: string): Promise<void> {
    const hash = await hashSecret(password, 'password');
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO users (username, password_hash, roles, created_at) VALUES (?, ?, ?, ?)').run(username, hash, JSON.stringify(roles), this.iso());
      this.audit.record(actor, 'user.create', username, { roles });
    })();
  }

  hasUser(username: string): boolean {
    return this.db.prepare('SELECT 1 FROM users WHERE username = ?').get(username) !== undefined;
  }

  listUsers(): { username: string; roles: Role[]; createdAt: string }[] {
    return (this.db.prepare('SELECT username, roles, created_at FROM users ORDER BY username').all() as { username: string; roles: string; created_at: string }[]).map(
      (r) => ({ username: r.username, roles: JSON.parse(r.roles) as Role[], createdAt: r.created_at }),
    );
  }

  deleteUser(username: string, actor: string): boolean {
    const removed = this.db.transaction(() => {
      const n = this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes;
      if (n) {
        this.db.prepare('DELETE FROM api_tokens WHERE owner = ?').run(`user:${username}`);
        this.audit.record(actor, 'user.delete', username);
      }
      return n > 0;
    })();
    if (removed) this.tokensChanged();
    return removed;
  }

  /** Checks a password; on success issues a session token that expires. */
  async login(username: string, password: string, sessionMs: number): Promise<{ token: string; roles: Role[]; expiresAt: string } | undefined> {
    const row = this.db.prepare('SELECT password_hash, roles FROM users WHERE username = ?').get(username) as { password_hash: string; roles: string } | undefined;
    // Hash even for an unknown user, so the answer takes as long either way.
    const ok = await verifySecret(password, row?.password_hash ?? 'scrypt$32768$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    if (!row || !ok) return undefined;
    const roles = JSON.parse(row.roles) as Role[];
    const expiresAt = new Date(this.now() + sessionMs).toISOString();
    const { token } = this.insertToken(`session:${username}`, roles, `user:${username}`, expiresAt);
    this.audit.record(`user:${username}`, 'user.login', username);
    return { token, roles, expiresAt };
  }

  createToken(name: string, roles: Role[], actor: string): TokenInfo & { token: string } {
    const created = this.insertToken(name, roles, actor, null);
    this.audit.record(actor, 'token.create', created.id, { name, roles });
    return created;
  }

  /** Puts a token whose value the operator chose (HUB_ADMIN_TOKEN) in place of the built-in admin's. */
  setAdminToken(token: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM api_tokens WHERE id = 'admin'").run();
      this.db
        .prepare('INSERT INTO api_tokens (id, name, token_hash, roles, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, NULL)')
        .run('admin', 'built-in admin', tokenDigest(token), JSON.stringify(['admin']), 'admin', this.iso());
    })();
    this.tokensChanged();
  }

  hasAdminToken(): boolean {
    return this.db.prepare("SELECT 1 FROM api_tokens WHERE id = 'admin'").get() !== undefined;
  }

  private insertToken(name: string, roles: Role[], owner: string, expiresAt: string | null): TokenInfo & { token: string } {
    const id = randomUUID();
    const token = `mh_${newSecret()}`;
    const createdAt = this.iso();
    this.db
      .prepare('INSERT INTO api_tokens (id, name, token_hash, roles, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, name, tokenDigest(token), JSON.stringify(roles), owner, createdAt, expiresAt);
    return { id, name, roles, owner, createdAt, expiresAt, token };
  }

  listTokens(): TokenInfo[] {
    return (this.db.prepare("SELECT id, name, roles, owner, created_at, expires_at FROM api_tokens WHERE name NOT LIKE 'session:%' ORDER BY created_at").all() as TokenRow[]).map(toTokenInfo);
  }

  revokeToken(id: string, actor: string): boolean {
    const n = this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes;
    if (n) {
      this.audit.record(actor, 'token.revoke', id);
      this.tokensChanged();
    }
    return n > 0;
  }

  /** Prepared once: every HTTP request and Socket.IO handshake runs it. */
  private tokenByHash: Statement | undefined;

  /** The principal a bearer token stands for, or undefined when unknown or expired. */
  authenticateToken(token: string): Principal | undefined {
    this.tokenByHash ??= this.db.prepare('SELECT id, name, roles, owner, created_at, expires_at FROM api_tokens WHERE token_hash = ?');
    const row = this.tokenByHash.get(tokenDigest(token)) as TokenRow | undefined;
    if (!row) return undefined;
    if (row.expires_at && Date.parse(row.expires_at) <= this.now()) return undefined;
    return { name: row.id === 'admin' ? 'admin' : row.owner?.startsWith('user:') ? row.owner : `token:${row.name}`, roles: JSON.parse(row.roles) as Role[] };
  }

  /** Internal MQTT credentials for a service; the secret is returned once. */
  async createServiceAccount(username: string, scope: ServiceScope, actor: string): Promise<string> {
    const secret = newSecret();
    const hash = await hashSecret(secret, 'secret');
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO service_accounts (username, secret_hash, scope, created_at) VALUES (?, ?, ?, ?)').run(username, hash, scope, this.iso());
      this.audit.record(actor, 'service.credentials', username, { scope });
    })();
    return secret;
  }

  async authenticateService(username: string, secret: string): Promise<ServiceScope | undefined> {
    const row = this.db.prepare('SELECT secret_hash, scope FROM service_accounts WHERE username = ?').get(username) as { secret_hash: string; scope: ServiceScope } | undefined;
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
