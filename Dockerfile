# One image for every Passerelle process; docker-compose.yml picks the entry point per service.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts skipped here: postinstall builds the console, whose sources are copied only below.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY . .
RUN node --import tsx scripts/console-build.ts --force
ENV HOST=0.0.0.0
CMD ["node", "--max-semi-space-size=48", "--heap-growing-percent=50", "--import", "tsx", "gateway/main.ts"]
