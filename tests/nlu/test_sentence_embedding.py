"""nlu/minilm.py's ONNX graph computes all-MiniLM-L6-v2: checked in .venv-rasa against a plain
NumPy forward pass of the same weights (the BERT layer written out the way the Hugging Face
code does it); the quantized encoder Rasa serves stays close to it; and the embedding means
what a sentence embedding should."""

from __future__ import annotations

import json
import textwrap

from tests.servers import run_in_rasa_env

CHECK = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from scipy.special import erf
    from nlu.minilm import HEADS, LAYERS, load_model

    model = load_model(quantize=False)
    served = load_model()
    w = model.weights

    def layer_norm(x, p):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[p + ".weight"] + w[p + ".bias"]

    def linear(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def reference(text):
        ids = model.token_ids(text)
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = layer_norm(x, "embeddings.LayerNorm")
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            q, k, v = (linear(x, p + "attention.self." + s).reshape(n, HEADS, -1).transpose(1, 0, 2)
                       for s in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, -1)
            x = layer_norm(x + linear(context, p + "attention.output.dense"),
                           p + "attention.output.LayerNorm")
            h = linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
            x = layer_norm(x + linear(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = x.mean(0)
        return pooled / np.linalg.norm(pooled)

    texts = json.loads(sys.argv[1])
    vectors = {t: served.encode(t) for t in texts}
    print(json.dumps({
        "max_difference": max(float(np.abs(model.encode(t) - reference(t)).max()) for t in texts),
        "served_cosine": min(float(vectors[t] @ reference(t)) for t in texts),
        "norms": [float(np.linalg.norm(v)) for v in vectors.values()],
        "dtype": str(next(iter(vectors.values())).dtype),
        "similarity": {f"{a} | {b}": float(vectors[a] @ vectors[b])
                       for a in texts for b in texts if a < b},
    }))
    """
)

BOOK = "I want to book an appointment"
SCHEDULE = "can I schedule a visit with the doctor"
WEATHER = "what's the weather like today"
BILL = "how much do I still owe you"
TEXTS = [BOOK, SCHEDULE, WEATHER, BILL, "hi", "a" * 2000]  # a one-token and an over-long text


def _similarity(found: dict, a: str, b: str) -> float:
    return found["similarity"][f"{min(a, b)} | {max(a, b)}"]


def test_onnx_graph_matches_the_bert_forward_pass_and_means_something() -> None:
    found = run_in_rasa_env(CHECK, json.dumps(TEXTS))
    assert found["max_difference"] < 1e-5
    assert found["served_cosine"] > 0.98
    assert all(abs(norm - 1) < 1e-5 for norm in found["norms"])
    assert found["dtype"] == "float32"
    # paraphrases land close together, unrelated requests far apart
    assert _similarity(found, BOOK, SCHEDULE) > 0.4
    assert _similarity(found, BOOK, SCHEDULE) > 2 * _similarity(found, BOOK, WEATHER)
    assert _similarity(found, BOOK, SCHEDULE) > 2 * _similarity(found, BOOK, BILL)
