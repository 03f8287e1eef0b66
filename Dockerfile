# One image for both `serve` and `worker` (the compose file picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    APP_HOST=0.0.0.0 APP_PORT=8080 DATA_DIR=/app/data

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir uv==0.13.8 \
 && uv pip install --system --no-cache --require-hashes -r requirements.lock

COPY bot ./bot
COPY games ./games
COPY loyalty ./loyalty
COPY miniapp_api ./miniapp_api
COPY assets ./assets
COPY config ./config

RUN useradd --create-home --uid 10001 app && mkdir -p /app/data && chown app /app/data
USER app
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)" || exit 1
CMD ["sh", "-c", "python -m bot db upgrade && python -m bot serve"]
