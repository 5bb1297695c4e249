# Switchboard API / worker image. The same image runs both: `npm run api` (default) or `npm run worker`.
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
# package-lock.json lists only the Linux builds of platform-specific optional packages; npm ci rejects such
# a lock when the registry serves the other platforms' builds, so fall back to npm install (same locked
# versions; it only adds the missing optional entries inside the image).
COPY package.json package-lock.json ./
RUN npm ci \
    || { echo 'npm ci rejected package-lock.json; installing the locked versions with npm install' >&2; \
         npm install --no-audit --no-fund; } \
    && npm cache clean --force

COPY . .

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
