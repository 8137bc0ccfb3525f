# One image for every deliverygo process; the compose file picks the entrypoint (api, worker, simulator).

# Build stage: compiles the TypeScript to dist/ (`npm run build`, which needs the dev dependencies).
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY internal ./internal
RUN npm run build

# Runtime: the compiled JavaScript and the production dependencies only (no TypeScript, no tsx).
FROM node:20.20-bookworm-slim
WORKDIR /app
# HOST: in a container the API must answer on every interface (outside one, the default is 127.0.0.1).
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# The live map page (GET /map reads web/map.html, map.js, map.css at run time; Leaflet itself comes from node_modules).
COPY web ./web
# The demo city's road graph and street layer (OpenStreetMap, ODbL): the map's offline streets, ROUTER=road's graph.
COPY data/monaco ./data/monaco
EXPOSE 8000
CMD ["node", "dist/apps/api/main.js"]
