# syntax=docker/dockerfile:1
# One Marvec image for every role: topic set-up, consumers, dashboard, simulator.
#   docker build -t marvec .
#   docker run --rm marvec --help        # ENTRYPOINT is the `marvec` command
# Production wiring (Kafka, Redis, secrets, healthchecks): docker-compose.yml, docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: wheels of Marvec and of every runtime dependency (no dev extras) -----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY marvec ./marvec
COPY streams ./streams
COPY geodata ./geodata
COPY layers ./layers
COPY dashboard ./dashboard
RUN pip wheel --wheel-dir /wheels .

# --- runtime: the wheels installed, nothing else -----------------------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Chromium renders the mayor's briefings to PDF and PNG (docs/briefings.md); DejaVu is
# the font they are laid out in. Without it the briefings are stored as HTML only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# The wheels come in through a bind mount, so they take no layer of their own. The
# users directory is created here, owned by the service user, so that a named volume
# mounted on it starts with that owner (`marvec user add` writes there).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels marvec \
    && groupadd --system --gid 10001 marvec \
    && useradd --system --uid 10001 --gid marvec --home-dir /var/lib/marvec \
       --shell /usr/sbin/nologin marvec \
    && install -d -o marvec -g marvec -m 0755 /var/lib/marvec \
    && install -d -o marvec -g marvec -m 0700 /var/lib/marvec/users
USER marvec:marvec
WORKDIR /var/lib/marvec
EXPOSE 8050
# No HEALTHCHECK here: the image plays several roles; docker-compose.yml gives each its
# own (python one-liners, no curl needed).
ENTRYPOINT ["marvec"]
CMD ["--help"]
