# Switchboard API / worker image. The same image runs both: the API (default) or the worker (`node_modules/.bin/tsx worker/main.ts`),
# and the migrations (`node_modules/.bin/tsx scripts/migrate.ts`: run it before the API / worker; they do not migrate).
FROM node:24-bookworm-slim

WORKDIR /app
ENV CI=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Dependencies first, so source edits do not invalidate this layer. Dev dependencies are installed too:
# `tsx` runs the TypeScript sources, and the `node` devDependency installs a Node 24 binary that
# `npm run` puts first on PATH (same major as this base image, harmless). package.json#allowScripts
# approves the install scripts that need to run.
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY . .

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
# the attachments volume mounts here (docker copies this owner onto a new named volume)
RUN mkdir -p /data/attachments && chown node:node /data/attachments
USER node
EXPOSE 3000
# tsx directly (not `npm run`): npm as PID 1 does not pass SIGTERM on, tsx does, so `docker stop`
# shuts the API / worker down cleanly.
CMD ["node_modules/.bin/tsx", "api/main.ts"]
