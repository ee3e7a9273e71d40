# One image for every Passerelle process; docker-compose.yml picks the entry point per service.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV HOST=0.0.0.0
CMD ["node", "--import", "tsx", "gateway/main.ts"]
