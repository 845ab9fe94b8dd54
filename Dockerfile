# syntax=docker/dockerfile:1
# dolt-import-bot: one image for the Slack bot (`serve`) and the Celery workers (`worker`).
# Built by docker-compose.yml; the command picks the role. Every dependency ships a wheel and
# the doltlite wheel carries its own shared library; a C compiler is installed only for the
# length of the install, to build the native bulk loader (dolt/native/arrow_load.c).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid/gid, so files in the read-only /data mount can be made readable to it on the host.
# The jobs directory exists in the image owned by that user: a new named volume mounted there
# copies this ownership, so the bot and the workers can write to it.
RUN groupadd --system --gid 10001 importbot \
    && useradd --system --uid 10001 --gid importbot --home-dir /var/lib/importbot \
       --shell /usr/sbin/nologin importbot \
    && mkdir -p /var/lib/importbot/jobs /data \
    && chown -R importbot:importbot /var/lib/importbot

WORKDIR /src
# Metadata first, then the packages: only what `pip install .` needs to build the wheel.
COPY pyproject.toml setup.py constraints.txt README.md ./
COPY bot ./bot
COPY workers ./workers
COPY agents ./agents
COPY dolt ./dolt
# The pinned set, without the dev and local-model extras.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install -c constraints.txt . \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* /src/build /src/*.egg-info

USER importbot
WORKDIR /var/lib/importbot
ENV HOME=/var/lib/importbot \
    IMPORTBOT_JOBS_DIR=/var/lib/importbot/jobs

EXPOSE 3000
ENTRYPOINT ["importbot"]
CMD ["serve", "--port", "3000"]
