/** Import boundaries that keep the design easy to see. */
module.exports = {
  forbidden: [
    {
      name: 'contracts-import-only-zod',
      comment: 'The contracts module is shared by devices, services and dashboards: it may import zod and itself only.',
      severity: 'error',
      from: { path: '^services/contracts/' },
      to: { pathNot: ['^services/contracts/', '^node_modules/zod/'] },
    },
    {
      name: 'transit-not-lighting-energy',
      severity: 'error',
      from: { path: '^services/transit/' },
      to: { path: '^services/(lighting|energy)/' },
    },
    {
      name: 'lighting-not-transit-energy',
      severity: 'error',
      from: { path: '^services/lighting/' },
      to: { path: '^services/(transit|energy)/' },
    },
    {
      name: 'energy-not-transit-lighting',
      severity: 'error',
      from: { path: '^services/energy/' },
      to: { path: '^services/(transit|lighting)/' },
    },
    {
      name: 'infrastructure-not-domains',
      comment: 'The hub infrastructure knows domains only through services/platform/domain-module.ts; services/hub/domains.ts is the one place that names them.',
      severity: 'error',
      from: { path: '^services/(http|realtime|ingest|store|spool|broker|uplink|registry|live|observability|config|platform)/' },
      to: { path: '^services/(transit|lighting|energy)/' },
    },
    {
      name: 'domains-not-simulators',
      comment: 'The hub learns only from what devices report: nothing under services/ imports the simulators, except `npm start` (start-demo.ts), which runs both.',
      severity: 'error',
      from: { path: '^services/', pathNot: '^services/hub/start-demo\\.ts$' },
      to: { path: '^simulators/' },
    },
    {
      name: 'dashboards-no-server-code',
      comment: 'Dashboards run in the browser: they may use the contracts, nothing else of the server.',
      severity: 'error',
      from: { path: '^dashboards/' },
      to: { path: '^(services|gateways|simulators)/', pathNot: '^services/contracts/' },
    },
    {
      name: 'no-circular',
      comment: 'Runtime cycles only: a route file may import the type of the deps it is given.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
