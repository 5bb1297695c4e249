import { ConfigError, DEV_DEFAULTS, loadConfig } from '../../config';

describe('loadConfig', () => {
  it('gives working development defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/switchboard',
      temporalAddress: undefined,
      taskQueue: 'switchboard-conversations',
      publicBaseUrl: 'http://127.0.0.1:3000',
      twilio: { apiBaseUrl: undefined, credentialsConfigured: false },
    });
  });

  it('reads the view counts memory budget (MiB; default 256; 0 = count in SQL; a negative one is refused)', () => {
    expect(loadConfig({}).viewCounts).toEqual({ maxBytes: 256 * 1024 * 1024 });
    expect(loadConfig({ VIEW_COUNTS_MAX_MB: '0' }).viewCounts).toEqual({ maxBytes: 0 });
    expect(loadConfig({ VIEW_COUNTS_MAX_MB: '64' }).viewCounts).toEqual({ maxBytes: 64 * 1024 * 1024 });
    expect(() => loadConfig({ VIEW_COUNTS_MAX_MB: '-1' })).toThrow(/VIEW_COUNTS_MAX_MB/);
  });

  it('names every bad variable in one clear error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', TWILIO_ACCOUNT_SID: 'nope', PUBLIC_BASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'TWILIO_ACCOUNT_SID', 'PUBLIC_BASE_URL']) expect(issues).toContain(name);
    expect((error as Error).message).toMatch(/^Invalid configuration:/);
  });

  it('requires the deployment settings in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /TEMPORAL_ADDRESS: required[\s\S]*DATABASE_URL[\s\S]*JWT_SECRET[\s\S]*PUBLIC_BASE_URL[\s\S]*POSTMARK_INBOUND_PASSWORD[\s\S]*CREDENTIALS_ENCRYPTION_KEYS/,
    );
  });

  /** A production environment without any carrier credentials (a multi-tenant deployment: channels carry their own). */
  const productionWithoutCarriers = {
    NODE_ENV: 'production',
    TEMPORAL_ADDRESS: 'temporal:7233',
    DATABASE_URL: 'postgres://db/switchboard',
    JWT_SECRET: 'a-secret-of-32-characters-xxxxx',
    PUBLIC_BASE_URL: 'https://inbox.example.test',
    POSTMARK_INBOUND_PASSWORD: 'a-webhook-password-of-32-chars-x',
    CREDENTIALS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  };

  it('does not require the environment carrier credentials in production (channels carry their own)', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (err) {
      error = err;
    }
    const issues = (error as ConfigError).issues.join('\n');
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'POSTMARK_SERVER_TOKEN', 'POSTMARK_INBOUND_USER']) {
      expect(issues).not.toContain(name);
    }
    const config = loadConfig(productionWithoutCarriers);
    expect(config.twilio.credentialsConfigured).toBe(false);
    expect(config.postmark.credentialsConfigured).toBe(false);
    expect(config.postmark.webhookUser).toBe('postmark');
  });

  it('in production an unset TWILIO_AUTH_TOKEN is never the public dev placeholder (it verifies nothing)', () => {
    const a = loadConfig(productionWithoutCarriers);
    const b = loadConfig(productionWithoutCarriers);
    expect(a.twilio.authToken).not.toBe(DEV_DEFAULTS.twilioAuthToken);
    expect(a.twilio.authToken).not.toBe(b.twilio.authToken);
    expect(a.twilio.authToken.length).toBeGreaterThanOrEqual(64);
    expect(loadConfig({ ...productionWithoutCarriers, TWILIO_AUTH_TOKEN: 'real-token' }).twilio.authToken).toBe('real-token');
    // outside production the dev placeholders stay (npm start, the dev seed)
    expect(loadConfig({}).twilio.authToken).toBe(DEV_DEFAULTS.twilioAuthToken);
    expect(loadConfig({}).postmark.serverToken).toBe(DEV_DEFAULTS.postmarkServerToken);
  });

  it('requires TEMPORAL_ADDRESS, DATABASE_URL, JWT_SECRET and the Postmark webhook password for the api/worker halves in any environment', () => {
    expect(() => loadConfig({}, { deployment: true })).toThrow(
      /TEMPORAL_ADDRESS[\s\S]*DATABASE_URL[\s\S]*JWT_SECRET[\s\S]*POSTMARK_INBOUND_PASSWORD[\s\S]*CREDENTIALS_ENCRYPTION_KEYS/,
    );
    const ok = loadConfig(
      {
        TEMPORAL_ADDRESS: 'temporal:7233',
        DATABASE_URL: 'postgres://db/switchboard',
        JWT_SECRET: 'a-secret-of-32-characters-xxxxx',
        POSTMARK_INBOUND_PASSWORD: 'a-webhook-password-of-32-chars-x',
        CREDENTIALS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      },
      { deployment: true },
    );
    expect(ok.temporalAddress).toBe('temporal:7233');
  });

  it('treats empty values as unset and trims a trailing slash from PUBLIC_BASE_URL', () => {
    const config = loadConfig({ PORT: '', PUBLIC_BASE_URL: 'https://inbox.example.test/', TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` });
    expect(config.port).toBe(3000);
    expect(config.publicBaseUrl).toBe('https://inbox.example.test');
    expect(config.twilio.credentialsConfigured).toBe(true);
  });

  it('shares the environment carrier accounts with API-created channels outside production only, unless told', () => {
    expect(loadConfig({}).sharedCarrierAccount).toBe(true);
    expect(loadConfig({ SHARED_CARRIER_ACCOUNT: 'false' }).sharedCarrierAccount).toBe(false);
    const production = {
      NODE_ENV: 'production',
      TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: 'postgres://db/switchboard',
      JWT_SECRET: 'a-secret-of-32-characters-xxxxx',
      PUBLIC_BASE_URL: 'https://inbox.example.test',
      POSTMARK_INBOUND_PASSWORD: 'a-webhook-password-of-32-chars-x',
      CREDENTIALS_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    };
    expect(loadConfig(production).sharedCarrierAccount).toBe(false);
    expect(loadConfig({ ...production, SHARED_CARRIER_ACCOUNT: 'true' }).sharedCarrierAccount).toBe(true);
    expect(() => loadConfig({ SHARED_CARRIER_ACCOUNT: 'yes' })).toThrow(/SHARED_CARRIER_ACCOUNT/);
  });

  it('rejects a short JWT secret', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: must be at least 16 characters/);
  });
});
