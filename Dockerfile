# The ARMORY dataset builder in a container: the same scripts, builder folders and pinned dependencies.
#   docker build -t dsbuild .
#   mkdir -p out && docker run --rm --init --user "$(id -u):$(id -g)" -v "$PWD/out:/data" dsbuild python build.py -ds mnist
# --user: the files in out/ belong to you, whatever your uid (the image works for any uid);
# mkdir -p first: else Docker creates out/ owned by root. --init: a real PID 1 reaps the tfds children.
# Base: python:3.11.7-slim-bookworm by its multi-arch index digest (README "Docker" says where it comes from).
FROM python:3.11.7-slim-bookworm@sha256:d11b9bd5e49ea7401753d78f4d3b56f3aec952b85b49bcae88981f0452818e0b

# HOME in /tmp: any --user uid can write its caches there (TFDS, matplotlib).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DSBUILD_DATA_DIR=/data \
    DSBUILD_CONTAINER=1 \
    HOME=/tmp

RUN useradd --no-create-home --uid 1000 dsbuild \
    && mkdir /data \
    && chown dsbuild:dsbuild /data

WORKDIR /app

# Pinned dependencies first, without the project itself (`-e .` needs the code): this layer
# is reused while only the code changes. Then the code, installed editable without dependencies.
COPY requirements.txt ./
RUN grep -v '^-e ' requirements.txt > /tmp/requirements-pinned.txt \
    && pip install --no-cache-dir -r /tmp/requirements-pinned.txt \
    && rm /tmp/requirements-pinned.txt
COPY pyproject.toml ./
COPY dsbuild/ dsbuild/
RUN pip install --no-cache-dir --no-deps -e .

COPY build.py upload.py download.py ./
COPY datasets/ datasets/
COPY adversarial/ adversarial/
COPY examples/ examples/

USER 1000:1000
VOLUME ["/data"]
CMD ["python", "build.py", "--help"]
