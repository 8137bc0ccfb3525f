# One image for every deliverygo process; the compose file picks the entrypoint (api, worker, simulator).
FROM node:20.20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY tsconfig.json ./
COPY apps ./apps
COPY internal ./internal
COPY migrations ./migrations
# The live map page (GET /map reads web/map.html, map.js, map.css at run time; Leaflet itself comes from node_modules).
COPY web ./web
COPY api ./api
EXPOSE 8000
CMD ["node", "--import", "tsx", "apps/api/main.ts"]
