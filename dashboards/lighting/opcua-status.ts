/**
 * OPC UA cabinets the hub refuses because their server's certificate is not trusted: named in
 * a banner on the lighting page until an administrator trusts the certificate (docs/lighting.md,
 * "OPC UA security"). Polled, since the link of a cabinet is not a live-state field.
 */
import type { OpcuaCabinetStatus } from '../../services/contracts/lighting.ts';
import { getLang, onLangChange } from '../shared/i18n.ts';

const TEXT = {
  uk: (n: number, ids: string) =>
    `OPC UA: сертифікат сервера не довірений, шаф не підключено: ${n} (${ids}). Адміністратор перевіряє й довіряє його: GET /api/v1/lighting/opcua/certificates, POST …/certificates/{відбиток}/trust.`,
  en: (n: number, ids: string) =>
    `OPC UA: server certificate not trusted, cabinets not connected: ${n} (${ids}). An administrator checks and trusts it: GET /api/v1/lighting/opcua/certificates, POST …/certificates/{thumbprint}/trust.`,
} as const;

const POLL_MS = 10_000;

export function initOpcuaStatus(token: string | null, banner: HTMLElement): void {
  let untrusted: string[] = [];
  const render = () => {
    banner.hidden = untrusted.length === 0;
    banner.textContent = untrusted.length ? TEXT[getLang()](untrusted.length, untrusted.join(', ')) : '';
  };
  const poll = async () => {
    if (!token) return;
    try {
      const res = await fetch('/api/v1/lighting/opcua', { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) return;
      untrusted = ((await res.json()) as OpcuaCabinetStatus[]).filter((c) => c.link === 'certificate-untrusted').map((c) => c.controllerId).sort();
      render();
    } catch {
      // the live view shows the connection state; this banner waits for the next poll
    }
  };
  onLangChange(render);
  void poll();
  setInterval(() => void poll(), POLL_MS);
}
