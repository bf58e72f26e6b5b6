"""Generation backends for `mtsql_agents.llm.LLMAgent`.

- `GenerationBackend`, `GenerationConfig`, `Generation` (``base``): the contract every backend meets.
- `TransformersBackend` (``transformers_backend``): a local Hugging Face model, batched, CPU or GPU.
- `OpenAIBackend` (``openai_backend``): any OpenAI-compatible chat server (vLLM ``serve``, OpenAI, ...).
- `VLLMBackend` (``vllm_backend``): vLLM's offline engine, batched (the ``vllm`` extra, or the CPU build that
  ``scripts/setup_vllm_env.sh`` installs).

The backends load lazily (PEP 562 ``__getattr__``): importing this package never imports torch,
transformers or openai; each backend imports its library in its constructor and names the extra to
install when it is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    Conversation,
    Generation,
    GenerationBackend,
    GenerationConfig,
    Message,
)

if TYPE_CHECKING:
    from .openai_backend import OpenAIBackend
    from .transformers_backend import TransformersBackend
    from .vllm_backend import VLLMBackend

__all__ = [
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "Conversation",
    "Generation",
    "GenerationBackend",
    "GenerationConfig",
    "Message",
    "OpenAIBackend",
    "TransformersBackend",
    "VLLMBackend",
]

_LAZY = {
    "TransformersBackend": "transformers_backend",
    "OpenAIBackend": "openai_backend",
    "VLLMBackend": "vllm_backend",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
