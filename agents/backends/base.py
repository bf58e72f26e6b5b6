"""The contract between the LLM agent and whatever generates text: `GenerationBackend`.

Every backend (transformers, an OpenAI-compatible server, vLLM's offline engine) takes a batch of chat
conversations and returns one `Generation` per sample. The agent owns the prompt (which messages, in
which roles) and the reply policy (how text becomes an action); a backend owns only rendering the
conversation with the model's chat template and sampling. So a new backend is one class with one method.

Messages are OpenAI-style dicts:

- ``{"role": "system" | "user", "content": str}``
- ``{"role": "assistant", "content": str, "tool_calls": [...]}`` (``tool_calls`` only in native tool mode:
  ``{"id": str, "type": "function", "function": {"name": str, "arguments": str}}``)
- ``{"role": "tool", "tool_call_id": str, "name": str, "content": str}``

This module imports nothing heavy, so the protocol can be used without torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "Conversation",
    "Generation",
    "GenerationBackend",
    "GenerationConfig",
    "Message",
]

#: One chat message (see the module docstring for the shapes).
Message = dict[str, Any]
#: A whole conversation, oldest message first.
Conversation = Sequence[Message]


class BackendError(RuntimeError):
    """A backend could not produce a generation (bad request, server error after retries, ...)."""


class BackendUnavailableError(BackendError):
    """The model server cannot be reached (connection refused, DNS, ...); the message names the URL."""


class BackendTimeoutError(BackendUnavailableError):
    """Every attempt timed out; the message names the URL, the timeout and the number of attempts."""


@dataclass
class GenerationConfig:
    """How to sample; shared by every backend (fields a backend cannot honour are documented per field).

    Parameters that control sampling:
        temperature, top_p, top_k, seed
    Parameters that control length:
        max_new_tokens, stop
    Parameters that control what comes back:
        n, logprobs
    """

    # Parameters that control sampling
    temperature: float = field(
        default=0.0,
        metadata={
            "help": "Sampling temperature; 0 means greedy decoding (deterministic, the benchmark default)."
        },
    )
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling mass in (0, 1]; 1 disables it."})
    top_k: int | None = field(
        default=None,
        metadata={
            "help": "Sample among the k most likely tokens; None disables it. Not part of the OpenAI API: sent in "
            "extra_body, which vLLM's server accepts and other servers may reject."
        },
    )
    seed: int | None = field(
        default=None,
        metadata={
            "help": "Seed for sampling. transformers: one seed per generate call, applied on a forked RNG so global "
            "torch state is untouched. OpenAI-compatible servers: sent as `seed` with every request (best effort)."
        },
    )
    # Parameters that control length
    max_new_tokens: int = field(
        default=512,
        metadata={"help": "Most tokens generated per reply; a reply cut here has finish_reason 'length'."},
    )
    stop: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "Strings that end a reply. `Generation.text` never contains them (as in the OpenAI API); "
            "`Generation.token_ids` keeps every sampled token."
        },
    )
    # Parameters that control what comes back
    n: int = field(
        default=1,
        metadata={
            "help": "Samples per conversation; `generate` returns them conversation-major (LLMAgent needs 1)."
        },
    )
    logprobs: bool = field(
        default=False,
        metadata={
            "help": "Return per-token log-probabilities of the sampled tokens under the model's unprocessed "
            "distribution (temperature 1, no top-p/top-k), as trainers need."
        },
    )

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be a positive integer or None, not {self.top_k}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, not {self.max_new_tokens}")
        if self.n < 1:
            raise ValueError(f"n must be at least 1, not {self.n}")
        if isinstance(self.stop, str):
            self.stop = (self.stop,)
        self.stop = tuple(self.stop)

    @property
    def greedy(self) -> bool:
        """True when decoding is deterministic (temperature 0)."""
        return self.temperature == 0


@dataclass
class Generation:
    """One sampled reply.

    ``text`` is what the agent acts on. ``token_ids`` and ``logprobs`` are the sampled completion tokens
    (ending with the end-of-turn token when the model produced one) and their log-probabilities; backends
    fill them when they can (transformers always gives ids, logprobs when asked; a server only when it
    reports them). ``tool_calls`` holds native tool calls returned as structured data by a server (OpenAI
    shape, ``arguments`` as the raw JSON string); local models write tool calls inside ``text`` instead.
    """

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None  # "stop", "length", "tool_calls", ...
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    prompt_token_ids: list[int] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    conversation_index: int = 0  # position of its conversation in the generate() batch

    @property
    def truncated(self) -> bool:
        """True when the reply was cut by ``max_new_tokens``."""
        return self.finish_reason == "length"


@runtime_checkable
class GenerationBackend(Protocol):
    """Anything that turns chat conversations into replies.

    Contract of `generate`:

    - returns ``len(conversations) * config.n`` generations, conversation-major (all samples of the first
      conversation, then the second, ...), each with ``conversation_index`` set;
    - renders each conversation with the model's own chat template and a generation prompt for the next
      assistant message; ``tools`` (OpenAI function schemas) are given to the template or the server
      for native tool calling, and are ``None`` otherwise;
    - is safe to call with conversations of different lengths in one batch, and honours
      ``config.seed`` where the backend allows (say so in the backend's docstring);
    - raises `BackendError` (or a subclass) instead of hanging when the model cannot answer.
    """

    name: str

    def generate(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig,
        *,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> list[Generation]:
        """One `Generation` per sample, conversation-major."""
        ...


class ChatTemplatePrompts:
    """Prompt rendering shared by local backends: the model's own chat template, via ``self.tokenizer``.

    A subclass sets ``tokenizer`` (a Hugging Face tokenizer) and ``chat_template_kwargs`` (a dict).
    """

    tokenizer: Any
    chat_template_kwargs: dict[str, Any]

    def render(self, conversation: Conversation, *, tools: Sequence[dict[str, Any]] | None = None) -> str:
        """The prompt text: the conversation in the model's chat template, ending with a generation prompt."""
        return self.tokenizer.apply_chat_template(
            [dict(message) for message in conversation],
            tools=list(tools) if tools else None,
            add_generation_prompt=True,
            tokenize=False,
            **self.chat_template_kwargs,
        )

    def encode(
        self, conversation: Conversation, *, tools: Sequence[dict[str, Any]] | None = None
    ) -> list[int]:
        """Prompt token ids (the template already holds any special tokens, so none are added)."""
        return list(
            self.tokenizer(self.render(conversation, tools=tools), add_special_tokens=False)["input_ids"]
        )
