# syntax=docker/dockerfile:1
# The studio (frontend/): Streamlit on port 8501.
#
# The studio talks to the server over HTTP only (frontend/api_client.py, at CHATTERBOX_URL) and
# never imports backend/, so this image holds Streamlit, requests and the two folders it runs from;
# not the project's server dependencies. The pins are the project's (pyproject.toml: the `ui`
# extra and `requests`); tests/scripts/test_compose.py keeps them in step.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN pip install "streamlit>=1.67,<2" "requests>=2.31,<3" \
    && useradd --create-home --uid 1000 studio

WORKDIR /app
# .streamlit/config.toml (headless, no usage stats, viewer toolbar) is read from the working
# directory. Its loopback address is for a run on the host: here the CMD listens on all the
# container's interfaces, and compose publishes 8501 on the host's loopback only.
COPY .streamlit ./.streamlit
COPY frontend ./frontend

USER studio
EXPOSE 8501
CMD ["streamlit", "run", "frontend/app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
