# flexctl's container image: `docker build -t flexctl .` from the repository root.
#
# Two stages: the builder turns the source into a wheel (`python -m build`) and installs it,
# with its dependencies, into the virtualenv /opt/flexctl; the final stage copies only that
# virtualenv onto the same base, adds git and the ssh client (GitPython runs git; private
# repositories over SSH need ssh), and runs as an unprivileged user. No compiler, no build
# front end and no pip are left in the final stage.
#
# The base is pinned to a Python minor version and a Debian release; both stages use the same
# one, so the virtualenv's interpreter path (/usr/local/bin/python3.12) exists in the final
# stage. Pin a digest (python:3.12-slim-bookworm@sha256:...) where images must be reproducible.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The build front end, pinned; it stays in this stage.
RUN pip install build==1.6.1
# What the wheel is built from (pyproject.toml's package-data is inside reconciler/).
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
RUN python -m build --wheel --outdir /dist \
    && python -m venv /opt/flexctl \
    && /opt/flexctl/bin/pip install /dist/*.whl \
    && /opt/flexctl/bin/pip uninstall --yes pip \
    && /opt/flexctl/bin/flexctl --version

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="flexctl" \
      org.opencontainers.image.description="Declarative GitOps reconciler for Airbyte Enterprise Flex and self-managed Airbyte" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Debian's security updates replace package versions in place, so exact version pins would
# break the build within weeks; the Debian release is pinned by the base image's tag instead.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 flexctl \
    && useradd --uid 10001 --gid 10001 --home-dir /home/flexctl --create-home \
        --shell /usr/sbin/nologin flexctl
COPY --from=builder /opt/flexctl /opt/flexctl
# Modules were compiled when the wheel was installed: nothing is written at start-up, so the
# image runs with a read-only root file system (deploy/cronjob.yaml).
ENV PATH=/opt/flexctl/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/flexctl
ENTRYPOINT ["flexctl"]
CMD ["--help"]
