FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tor gettext-base && rm -rf /var/lib/apt/lists/*
COPY deploy/docker/torrc /etc/tor/torrc.template
USER debian-tor
CMD ["sh", "-c", "envsubst < /etc/tor/torrc.template > /tmp/torrc && exec tor -f /tmp/torrc"]
