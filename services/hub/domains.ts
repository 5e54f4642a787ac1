/**
 * The domains this hub runs. The composition root is the one place that names them; the
 * infrastructure sees only DomainModule (services/platform/domain-module.ts).
 */
import { energyDomain } from '../energy/module.ts';
import { lightingDomain } from '../lighting/module.ts';
import type { Domain } from '../platform/domain-module.ts';
import { transitDomain } from '../transit/module.ts';

export const DOMAINS: readonly Domain[] = [transitDomain, lightingDomain, energyDomain];
