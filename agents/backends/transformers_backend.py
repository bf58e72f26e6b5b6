"""`TransformersBackend`: a local Hugging Face causal LM, batched across many conversations at once."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from typing import Any

from mtsql_env import install_hint

from .base import ChatTemplatePrompts, Conversation, Generation, GenerationConfig

logger = logging.getLogger(__name__)

__all__ = ["TransformersBackend"]


class TransformersBackend(ChatTemplatePrompts):
    """Generate with a local ``transformers`` model: CPU or GPU, left-padded batches, ids and logprobs.

    Each conversation is rendered with the tokenizer's own chat template
    (``apply_chat_template(..., add_generation_prompt=True)``; ``tools`` are passed to the template) and
    tokenized without extra special tokens; the batch is left-padded so all prompts end at the same
    position, and generated in one ``model.generate`` call (``max_batch_size`` splits larger batches).

    What comes back, per sample: ``text`` (special tokens skipped, cut before any ``stop`` string),
    ``token_ids`` (every sampled token up to and including the end-of-turn token, padding removed),
    ``prompt_token_ids``, token counts, ``finish_reason`` (``stop`` or ``length``), and with
    ``config.logprobs`` the log-probability of each sampled token under the model's raw logits
    (``output_logits``, before temperature and top-p, like vLLM's default). Tool calls stay in ``text``
    (local models write them there); `mtsql_env.actions.parse_actions` reads them.

    Seeds: ``config.seed`` seeds torch on a forked RNG (CPU and the model's CUDA device), so one call is
    reproducible and global random state is untouched; with no seed, sampling advances the global RNG, so
    successive calls give fresh samples. Greedy decoding (temperature 0) needs no seed.

    Args:
        model: a model folder or Hub id (loaded with ``AutoModelForCausalLM``), or a loaded model.
        tokenizer: a tokenizer, a folder, or None to load it from ``model``'s path.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default: CUDA when available, else CPU. Ignored for
            a model loaded with a ``device_map`` (it stays where it is).
        dtype: dtype for loading from a path (``"auto"`` keeps the checkpoint's); on CPU prefer
            ``torch.float32`` (bfloat16 is far slower on most CPUs).
        max_batch_size: most conversations per ``generate`` call (None: all at once).
        chat_template_kwargs: extra keywords for ``apply_chat_template`` (e.g. ``{"enable_thinking": False}``).
    """

    name = "transformers"

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        *,
        device: str | None = None,
        dtype: Any = "auto",
        max_batch_size: int | None = None,
        chat_template_kwargs: dict[str, Any] | None = None,
    ) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as err:
            raise ImportError(
                "TransformersBackend needs torch and transformers: " + install_hint("train")
            ) from err
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1 or None, not {max_batch_size}")
        source = os.fspath(model) if isinstance(model, (str, os.PathLike)) else None
        if source is not None:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        if tokenizer is None:
            tokenizer = source or getattr(model, "name_or_path", None)
            if not tokenizer:
                raise ValueError("pass a tokenizer: the model object does not say where it was loaded from")
        if isinstance(tokenizer, (str, os.PathLike)):
            tokenizer = AutoTokenizer.from_pretrained(os.fspath(tokenizer))
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError(
                "the tokenizer has no chat template; LLM agents need one (set tokenizer.chat_template)"
            )
        if getattr(model, "hf_device_map", None) is None:
            model = model.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        model.eval()
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch_size = max_batch_size
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        eos = model.generation_config.eos_token_id
        eos = tokenizer.eos_token_id if eos is None else eos
        self.eos_token_ids: set[int] = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}
        if tokenizer.eos_token_id is not None:
            self.eos_token_ids.add(tokenizer.eos_token_id)
        pad = tokenizer.pad_token_id
        self.pad_token_id: int = pad if pad is not None else min(self.eos_token_ids)

    # --- GenerationBackend --------------------------------------------------------------------------

    def generate(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig,
        *,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> list[Generation]:
        """One `Generation` per sample, conversation-major; see the class docstring."""
        prompts = [self.encode(conversation, tools=tools) for conversation in conversations]
        size = self.max_batch_size or max(len(prompts), 1)
        generations: list[Generation] = []
        for start in range(0, len(prompts), size):
            generations += self._generate_batch(prompts[start : start + size], config, offset=start)
        return generations

    # --- Generation ---------------------------------------------------------------------------------

    def _generate_batch(
        self, prompts: list[list[int]], config: GenerationConfig, *, offset: int
    ) -> list[Generation]:
        import torch

        device = self.model.device
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(prompts), width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):  # left padding: every prompt ends at the last column
            input_ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
            attention_mask[row, width - len(prompt) :] = 1
        kwargs: dict[str, Any] = {
            "input_ids": input_ids.to(device),
            "attention_mask": attention_mask.to(device),
            "max_new_tokens": config.max_new_tokens,
            "num_return_sequences": config.n,
            "return_dict_in_generate": True,
            "output_logits": config.logprobs,
            "pad_token_id": self.pad_token_id,
            "eos_token_id": sorted(self.eos_token_ids),
        }
        if config.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(
                do_sample=True, temperature=config.temperature, top_p=config.top_p, top_k=config.top_k or 0
            )
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=self.tokenizer)
        # A seed is applied on a forked RNG (reproducible call, global state untouched); without one, sampling
        # draws from the global RNG so that successive calls differ.
        devices = [device] if device.type == "cuda" else []
        rng = torch.random.fork_rng(devices=devices) if config.seed is not None else contextlib.nullcontext()
        with rng, torch.inference_mode():
            if config.seed is not None:
                torch.manual_seed(config.seed)
            output = self.model.generate(**kwargs)
        completions = output.sequences[:, width:].tolist()
        logits = getattr(output, "logits", None) if config.logprobs else None
        generations = []
        for row, tokens in enumerate(completions):
            prompt = prompts[row // config.n]
            tokens, finish = self._trim(tokens, config.max_new_tokens)
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            for stop in config.stop:
                if stop in text:
                    text, finish = text[: text.index(stop)], "stop"
            logprobs = None
            if logits is not None:
                logprobs = [
                    float(torch.log_softmax(logits[t][row].float(), dim=-1)[token])
                    for t, token in enumerate(tokens)
                ]
            generations.append(
                Generation(
                    text=text,
                    prompt_tokens=len(prompt),
                    completion_tokens=len(tokens),
                    finish_reason=finish,
                    token_ids=tokens,
                    logprobs=logprobs,
                    prompt_token_ids=list(prompt),
                    conversation_index=offset + row // config.n,
                )
            )
        return generations

    def _trim(self, tokens: list[int], max_new_tokens: int) -> tuple[list[int], str]:
        """Cut a generated row after its first end-of-turn token, else drop trailing padding."""
        for i, token in enumerate(tokens):
            if token in self.eos_token_ids:
                return tokens[: i + 1], "stop"
        full = len(tokens) >= max_new_tokens
        while tokens and tokens[-1] == self.pad_token_id:
            tokens = tokens[:-1]
        # A row shorter than the budget ended early: a stop string (the only other way generate stops).
        return tokens, "length" if full and len(tokens) >= max_new_tokens else "stop"
