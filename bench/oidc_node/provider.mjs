// An independent OpenID Connect provider (the `oidc-provider` npm package, v8) on http://localhost:$PORT.
//
// civlearn's tests start it as "an external provider such as 我的E政府", and bench/oidc_token.py measures its
// token endpoint beside civlearn's. Configuration comes from the environment so the callers own the data:
//   PORT      port to listen on (default 4010)
//   CLIENTS   JSON array of oidc-provider client metadata
//   ACCOUNTS  JSON object: account id -> claims (name, email, national_id, ...)
//   BENCH=1   also serve POST /bench/codes?n=N&client_id=..&redirect_uri=..&verifier_challenge=.. that mints N
//             authorization codes directly (for the code-exchange benchmark, which measures the token endpoint)
// It prints "ready <issuer>" on stdout once it listens.
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 4010);
const issuer = `http://localhost:${port}`;
const clients = JSON.parse(process.env.CLIENTS || '[]');
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

// The package's own development store is an LRU of 1000 entries: the benchmark mints tens of thousands of codes,
// so it uses this plain in-memory store instead (no eviction, nothing persisted).
const stores = new Map();
class MapAdapter {
  constructor(name) {
    this.name = name;
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }

  async upsert(id, payload) {
    this.store.set(id, payload);
  }

  async find(id) {
    return this.store.get(id);
  }

  async findByUid(uid) {
    for (const payload of this.store.values()) if (payload.uid === uid) return payload;
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const payload of this.store.values()) if (payload.userCode === userCode) return payload;
    return undefined;
  }

  async consume(id) {
    const payload = this.store.get(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.store.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const [id, payload] of this.store) if (payload.grantId === grantId) this.store.delete(id);
  }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients,
  findAccount: async (ctx, id) => ({
    accountId: id,
    async claims() {
      return { sub: id, ...(accounts[id] || {}) };
    },
  }),
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    national_id: ['national_id'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'national_id'],
  // Claims of the requested scopes also go into the ID token, as several government providers do.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
  },
  pkce: { required: () => true, methods: ['S256'] },
  cookies: { keys: ['civlearn-test-provider-cookie-key'] },
  ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, ClientCredentials: 3600 },
});
// Plain HTTP on localhost is what the tests run; tell the library not to insist on HTTPS cookies.
provider.proxy = false;

if (process.env.OIDC_DEBUG === "1") provider.on("grant.error", (ctx, err) => console.error("grant.error", err.error_detail || err.message));
const callback = provider.callback();

async function mintCodes(req, res) {
  const url = new URL(req.url, issuer);
  const n = Number(url.searchParams.get('n') || 1);
  const clientId = url.searchParams.get('client_id');
  const redirectUri = url.searchParams.get('redirect_uri');
  const challenge = url.searchParams.get('code_challenge');
  const client = await provider.Client.find(clientId);
  const grant = new provider.Grant({ accountId: 'bench', clientId });
  grant.addOIDCScope('openid');
  const grantId = await grant.save();
  const codes = [];
  for (let i = 0; i < n; i += 1) {
    const code = new provider.AuthorizationCode({
      accountId: 'bench',
      client,
      grantId,
      scope: 'openid',
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      authTime: Math.floor(Date.now() / 1000),
    });
    codes.push(await code.save());
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(codes));
}

const server = http.createServer((req, res) => {
  if (process.env.BENCH === '1' && req.method === 'POST' && req.url.startsWith('/bench/codes')) {
    mintCodes(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
    return;
  }
  callback(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
