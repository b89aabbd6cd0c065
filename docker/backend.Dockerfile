# syntax=docker/dockerfile:1
# The narration server (backend/): `python -m backend`, on the port in CHATTERBOX_PORT or PORT
# (default 8000), e.g. docker run -e PORT=5000 -p 127.0.0.1:5000:5000 ...
# A Piper voice of your own: -e MODEL_PATH=/models/en_US-jenny-medium.onnx (its .onnx.json
# beside it) makes it the built-in voice; CHATTERBOX_PIPER_VOICES_DIR adds a folder of them.
#
# Base: python:3.11-slim, not an nvidia/cuda image. The torch 2.6.0 wheels for Linux x86_64 on the
# ordinary package index are the CUDA 12.4 build and bring the CUDA runtime, cuBLAS and cuDNN as
# pip packages (nvidia-*-cu12), so the container needs only the host's driver, which the NVIDIA
# Container Toolkit mounts. A CUDA runtime image would add a second copy of those libraries and a
# system Python that is not 3.11. To take torch from another wheel index, pass
# --build-arg TORCH_INDEX_URL=<index>.
#
# ENGINE=chatterbox (default): Chatterbox with CUDA torch, for the gpu profile.
# ENGINE=piper: the embedded Piper engine only, no torch, for the cpu profile.
#
# Model weights are never baked in: compose mounts ./model_cache at /models, read-only.

FROM python:3.11-slim

ARG ENGINE=chatterbox
ARG TORCH_INDEX_URL=""

# HF_HUB_OFFLINE: the engine loads local files only (ChatterboxTTS.from_local); never a model hub.
# NVIDIA_DRIVER_CAPABILITIES: without compute the toolkit may mount only nvidia-smi, not CUDA
# (the nvidia/cuda images set it too). CHATTERBOX_*: the container's layout, which compose states
# again; listening on all the container's interfaces is safe because compose publishes port 8000
# on the host's loopback only.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    CHATTERBOX_HOST=0.0.0.0 \
    CHATTERBOX_MODEL_CACHE_DIR=/models \
    CHATTERBOX_DATA_DIR=/data

# /data belongs to the unprivileged user, so a new named volume mounted there does too.
RUN useradd --create-home --uid 1000 studio \
    && mkdir -p /models /data \
    && chown studio:studio /data

WORKDIR /app

# Dependencies first, from the project's metadata alone, so that a code change does not reinstall
# torch: with no package folder copied yet, this installs only the dependencies.
COPY pyproject.toml README.md ./
RUN case "$ENGINE" in \
        chatterbox) extra="[chatterbox]" ;; \
        piper) extra="" ;; \
        *) echo "ENGINE must be chatterbox or piper, not '$ENGINE'" >&2; exit 1 ;; \
    esac \
    && pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} ".$extra"

COPY backend ./backend
RUN pip install --no-deps . && rm -rf build ./*.egg-info

USER studio
EXPOSE 8000
# Exec form, so the server is PID 1 and gets SIGTERM; it reads its port from the environment.
CMD ["python", "-m", "backend"]
