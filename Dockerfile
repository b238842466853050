# The ARMORY dataset builder in a container: the same scripts, builder folders and pinned dependencies.
#   docker build -t dsbuild .
#   docker run --rm -v "$PWD/out:/data" dsbuild python build.py -ds mnist
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DSBUILD_DATA_DIR=/data

RUN useradd --create-home --uid 1000 dsbuild \
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
