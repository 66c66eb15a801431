# Our code (clinic/, actions/, bot/) on Python 3.12: one image, two roles (actions, bot).
FROM python:3.12-slim
WORKDIR /app
COPY requirements/app.lock /tmp/app.lock
RUN pip install --no-cache-dir -r /tmp/app.lock
COPY pyproject.toml README.md ./
COPY clinic ./clinic
COPY actions ./actions
COPY bot ./bot
COPY medsec ./medsec
COPY nlu ./nlu
COPY migrations ./migrations
COPY alembic.ini config.yml ./
RUN pip install --no-cache-dir --no-deps -e .
RUN useradd --system --uid 1001 medsec && mkdir -p /app/var && chown medsec /app/var
USER medsec
