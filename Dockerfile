# pactlog: the API (gunicorn) and the projector run from this one image.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY events ./events
COPY service ./service
COPY api ./api
COPY examples ./examples
COPY gunicorn.conf.py ./
RUN pip install . && useradd --system --home /app pactlog
USER pactlog

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
