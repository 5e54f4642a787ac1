import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CertificateThumbprint, OpcuaHubCertificate, OpcuaServerCertificate } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import type { OpcuaFleet } from './fleet.ts';

/**
 * The admin's side of OPC UA security: the server certificates the hub met and does not trust
 * (pending), trusting one (the refused cabinets then connect by themselves) or taking trust
 * back, and the hub's own certificate to install on the cabinets' servers. Admin only; every
 * change in the audit log.
 */
export const opcuaTrustRoutes =
  (deps: { ctx: DomainContext; fleet: OpcuaFleet }): FastifyPluginAsyncZod =>
  async (app) => {
    const admin = deps.ctx.auth.requireRole();
    const tags = ['lighting'];
    const params = z.strictObject({ thumbprint: CertificateThumbprint });
    const notHeld = (thumbprint: string) => new HttpError(404, `no server certificate ${thumbprint} in the hub's OPC UA store (GET /api/v1/lighting/opcua/certificates lists them)`);

    app.get('/api/v1/lighting/opcua/certificates', {
      preHandler: admin,
      schema: {
        tags, summary: 'OPC UA server certificates the hub met: pending (not trusted) and trusted',
        querystring: z.strictObject({ status: OpcuaServerCertificate.shape.status.optional() }),
        response: { 200: z.array(OpcuaServerCertificate) },
      },
    }, async (req) => deps.fleet.trust.list(req.query.status));

    app.post('/api/v1/lighting/opcua/certificates/:thumbprint/trust', {
      preHandler: admin,
      schema: { tags, summary: 'Trust a server certificate; the cabinets refused for it connect by themselves', params, response: { 200: OpcuaServerCertificate } },
    }, async (req) => {
      const cert = await deps.fleet.trust.trust(req.params.thumbprint);
      if (!cert) throw notHeld(req.params.thumbprint);
      deps.ctx.audit.record(req.principal?.name ?? 'unknown', 'lighting.opcua.certificate.trust', cert.thumbprint, { subject: cert.subject, notAfter: cert.notAfter, controllerIds: cert.controllerIds });
      void deps.fleet.retryUntrusted();
      return cert;
    });

    app.post('/api/v1/lighting/opcua/certificates/:thumbprint/untrust', {
      preHandler: admin,
      schema: { tags, summary: 'Take trust back: the certificate is pending again and cabinets presenting it are disconnected', params, response: { 200: OpcuaServerCertificate } },
    }, async (req) => {
      const cert = await deps.fleet.trust.untrust(req.params.thumbprint);
      if (!cert) throw notHeld(req.params.thumbprint);
      deps.ctx.audit.record(req.principal?.name ?? 'unknown', 'lighting.opcua.certificate.untrust', cert.thumbprint, { subject: cert.subject });
      deps.fleet.dropConnectedWith(cert.thumbprint);
      return cert;
    });

    app.get('/api/v1/lighting/opcua/hub-certificate', {
      preHandler: admin,
      schema: { tags, summary: "The hub's own OPC UA application certificate (PEM), for the cabinets' servers to trust", response: { 200: OpcuaHubCertificate } },
    }, async () => deps.fleet.trust.hubCertificate());
  };
