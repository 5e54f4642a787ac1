# mistohub hub image. Node 24 is the current LTS; the pinned dependencies work on 20 and 24.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production HUB_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY services ./services
COPY gateways ./gateways
COPY dashboards ./dashboards
COPY simulators ./simulators
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# HTTP (REST, Socket.IO, dashboards, MQTT over WebSocket), MQTT, Teltonika TCP+UDP, Wialon IPS, GT06
EXPOSE 8080 1883 5027 5027/udp 5039 5023
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A larger young generation: each message makes short-lived objects (see docs/bench.md).
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "services/hub/main.ts"]
