"""`OpenAIBackend`: any OpenAI-compatible chat-completions server (vLLM ``serve``, OpenAI, llama.cpp, ...)."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mtsql_env import install_hint

from .base import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    Conversation,
    Generation,
    GenerationConfig,
)

logger = logging.getLogger(__name__)

__all__ = ["OpenAIBackend"]

_TOKEN_ID_RE = re.compile(r"^token_id:(\d+)$")


class OpenAIBackend:
    """Generate through ``POST {base_url}/chat/completions``, one request per conversation, in parallel.

    The server applies its own chat template. With ``tools`` (native tool calling) the request carries
    ``tools=`` and replies may come back as structured ``tool_calls`` (kept in `Generation.tool_calls`
    with the raw ``arguments`` string). Requests run on a thread pool (``max_concurrency`` at a time);
    every request has a ``timeout_s`` limit, and connection errors, timeouts, 429 and 5xx answers are
    retried ``max_retries`` times with exponential backoff (``backoff_s``, ``2 * backoff_s``, ...). Then:
    `BackendTimeoutError` (every attempt timed out) or `BackendUnavailableError` (the server could not be
    reached), both naming the URL; other error answers raise `BackendError` at once. No call can hang.

    Seeds: ``config.seed`` is sent as ``seed`` with every request (servers honour it on a best-effort
    basis). ``config.top_k`` goes in ``extra_body`` (vLLM accepts it). Logprobs come back when
    ``config.logprobs`` is set; token ids only when the server reports them (vLLM with
    ``extra_body={"return_tokens_as_token_ids": True}``).

    Args:
        model: the model name the server serves.
        base_url: e.g. ``http://127.0.0.1:8000/v1``; default ``$OPENAI_BASE_URL``, else OpenAI's API.
        api_key: the key; default ``$<api_key_env>``, else ``"EMPTY"`` (what local servers expect).
        api_key_env: the environment variable holding the key.
        timeout_s: limit per request attempt, in seconds.
        max_retries: further attempts after a retryable failure.
        backoff_s: wait before the first retry; doubles each time.
        max_concurrency: requests in flight at once.
        max_tokens_field: ``"max_tokens"`` (most servers) or ``"max_completion_tokens"`` (newer OpenAI models).
        extra_body: extra JSON fields sent with every request (server-specific sampling options).
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 120.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        max_concurrency: int = 16,
        max_tokens_field: str = "max_tokens",
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        try:
            import openai
        except ImportError as err:
            raise ImportError("OpenAIBackend needs the openai package: " + install_hint("openai")) from err
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0 or max_concurrency < 1:
            raise ValueError(
                f"need timeout_s > 0, max_retries >= 0, backoff_s >= 0, max_concurrency >= 1; got {timeout_s}, "
                f"{max_retries}, {backoff_s}, {max_concurrency}"
            )
        if max_tokens_field not in ("max_tokens", "max_completion_tokens"):
            raise ValueError(
                f"max_tokens_field must be 'max_tokens' or 'max_completion_tokens', not {max_tokens_field!r}"
            )
        self._openai = openai
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip(
            "/"
        )
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_concurrency = max_concurrency
        self.max_tokens_field = max_tokens_field
        self.extra_body = dict(extra_body or {})
        key = api_key or os.environ.get(api_key_env) or "EMPTY"
        # Retries are ours (to control backoff and the final error), so the client does none.
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=timeout_s, max_retries=0)

    # --- GenerationBackend --------------------------------------------------------------------------

    def generate(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig,
        *,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> list[Generation]:
        """One `Generation` per sample, conversation-major; requests run concurrently."""
        if not conversations:
            return []
        workers = min(self.max_concurrency, len(conversations))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mtsql-openai")
        try:
            futures = [
                pool.submit(self._complete, index, conversation, config, tools)
                for index, conversation in enumerate(conversations)
            ]
            return [generation for future in futures for generation in future.result()]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    # --- One request --------------------------------------------------------------------------------

    def request_body(
        self,
        conversation: Conversation,
        config: GenerationConfig,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for one conversation."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(message) for message in conversation],
            self.max_tokens_field: config.max_new_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "n": config.n,
        }
        if config.stop:
            request["stop"] = list(config.stop)
        if config.seed is not None:
            request["seed"] = config.seed
        if config.logprobs:
            request["logprobs"] = True
        if tools:
            request["tools"] = list(tools)
        extra = dict(self.extra_body)
        if config.top_k is not None:
            extra["top_k"] = config.top_k
        if extra:
            request["extra_body"] = extra
        return request

    def _complete(
        self,
        index: int,
        conversation: Conversation,
        config: GenerationConfig,
        tools: Sequence[dict[str, Any]] | None,
    ) -> list[Generation]:
        openai = self._openai
        request = self.request_body(conversation, config, tools)
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            try:
                response = self._client.chat.completions.create(**request)
                return self._parse(response, index, config)
            except openai.APITimeoutError as err:  # a subclass of APIConnectionError: test it first
                failure: Exception = BackendTimeoutError(
                    f"{self.base_url} did not answer within timeout_s={self.timeout_s} in {attempts} attempt(s)"
                )
                cause: Exception = err
            except openai.APIConnectionError as err:
                failure = BackendUnavailableError(
                    f"cannot reach the model server at {self.base_url} ({attempts} attempt(s)): {err}; is it running?"
                )
                cause = err
            except (openai.RateLimitError, openai.InternalServerError) as err:
                failure = BackendError(
                    f"{self.base_url} answered {err.status_code} after {attempts} attempt(s): {err.message}"
                )
                cause = err
            except openai.APIStatusError as err:
                raise BackendError(
                    f"{self.base_url} rejected the request ({err.status_code}): {err.message}"
                ) from err
            if attempt + 1 < attempts:
                delay = self.backoff_s * 2**attempt
                logger.warning(
                    "request to %s failed (%s); retry %d/%d in %.2fs",
                    self.base_url,
                    cause,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                time.sleep(delay)
        raise failure from cause

    def _parse(self, response: Any, index: int, config: GenerationConfig) -> list[Generation]:
        usage = getattr(response, "usage", None)
        prompt_tokens = getattr(usage, "prompt_tokens", None)
        generations = []
        for choice in sorted(response.choices, key=lambda c: c.index):
            message = choice.message
            tool_calls = None
            if getattr(message, "tool_calls", None):
                tool_calls = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.function.name, "arguments": call.function.arguments},
                    }
                    for call in message.tool_calls
                ]
            logprobs = token_ids = None
            content = getattr(getattr(choice, "logprobs", None), "content", None)
            if content:
                logprobs = [float(item.logprob) for item in content]
                matches = [_TOKEN_ID_RE.match(item.token) for item in content]
                if all(matches):
                    token_ids = [int(m.group(1)) for m in matches]
            completion_tokens = (
                getattr(usage, "completion_tokens", None) if len(response.choices) == 1 else None
            )
            if completion_tokens is None and logprobs is not None:
                completion_tokens = len(logprobs)
            generations.append(
                Generation(
                    text=message.content or "",
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    finish_reason=choice.finish_reason,
                    token_ids=token_ids,
                    logprobs=logprobs,
                    tool_calls=tool_calls,
                    conversation_index=index,
                )
            )
        if len(generations) != config.n:
            raise BackendError(f"{self.base_url} returned {len(generations)} choices, expected n={config.n}")
        return generations
