/** `npm run hub`: the production entry point. */
import { settingsOrExit } from '../config/settings.ts';

const settings = settingsOrExit(process.env);

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
