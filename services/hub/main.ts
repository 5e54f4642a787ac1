/** `npm run hub`: the production entry point. */
import { SettingsError, parseSettings } from '../config/settings.ts';

let settings;
try {
  settings = parseSettings(process.env);
} catch (err) {
  if (err instanceof SettingsError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

// Loaded after the settings are checked, so a bad setting is reported at once.
const { startHub } = await import('./hub.ts');
const hub = await startHub(settings);
if (hub.generatedAdminToken) {
  console.log(`\n  Admin token (shown once; also kept in ${settings.HUB_DATA_DIR}/admin-token):\n\n    ${hub.generatedAdminToken}\n`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void hub.close().then(() => process.exit(0));
  });
}
