# Rasa server with our NLU components (nlu/) and the trained model (trained at build time
# when models/ is empty, so the image always carries a model matching its data).
FROM rasa/rasa:3.6.21
USER root
COPY requirements/rasa.lock /tmp/rasa.lock
RUN pip install --no-cache-dir "$(grep -i '^dateparser==' /tmp/rasa.lock)"
WORKDIR /app
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY data ./data
COPY nlu ./nlu
ENV PYTHONPATH=/app
RUN rasa train --fixed-model-name medsec --out models
USER 1001
# The REST channel has no authentication: listen on the private compose network only.
CMD ["run", "--model", "models/medsec.tar.gz", "--port", "5005", "--enable-api", \
     "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
