"""`mtsql serve`: the environment behind OpenEnv's HTTP + WebSocket server, one episode per session.

OpenEnv (``pip install "openenv==0.10.0"``, module ``openenv``) gives each WebSocket connection to ``/ws`` its
own `MTSQLEnvironment` (so sessions are isolated) and runs its ``reset``/``step`` in a thread of that session
(so SQL never runs on the event loop). This module adds what a shared server needs on top: a session cap and
an idle timeout (OpenEnv's `ConcurrencyConfig`), a request-size limit (`RequestSizeLimit`), and typed
messages that carry the env's step-level reward components.

Wire format (OpenEnv's): ``{"type": "reset", "data": {"index": 0}}``, ``{"type": "step", "data":
{"text": "<propose>SELECT 1</propose>"}}`` (or ``"data": {"typed": {"kind": "execute"}}``), ``{"type":
"state"}``, ``{"type": "close"}``. Replies: ``{"type": "observation", "data": {"observation": {"text",
"terminated", "truncated", "metadata"}, "reward", "done", "metadata"}}`` where ``metadata`` is the
env's ``info`` (``reward_components``: this step's weighted components, which sum to ``reward``;
``turn_reward_components``, ``turn_result``, ...), or ``{"type": "error", "data": {"message", "code"}}``.
Any OpenEnv client drives it: `MTSQLEnvClient` (typed) or ``openenv.core.GenericEnvClient`` (dicts).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.http_server import create_app
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import Action, ConcurrencyConfig, Observation, State
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from mtsql_env.actions import Action as EnvAction

logger = logging.getLogger(__name__)

__all__ = [
    "MTSQLAction",
    "MTSQLEnvClient",
    "MTSQLEnvironment",
    "MTSQLObservation",
    "MTSQLState",
    "RequestSizeLimit",
    "ServerConfig",
    "create_server_app",
    "running_server",
    "serve",
]


class MTSQLAction(Action):
    """One agent step: the model's reply as text, or a typed action (the dict form `MTSQLEnv.step` parses)."""

    text: str | None = Field(default=None, description="The model's reply (tag grammar or a JSON tool call).")
    typed: dict[str, Any] | None = Field(
        default=None,
        description='A typed action: {"kind": "verify", "target": "execution", "verdict": "pass"}.',
    )

    @model_validator(mode="after")
    def _one_form(self) -> MTSQLAction:
        if (self.text is None) == (self.typed is None):
            # Not a ValueError: OpenEnv echoes `errors()` to the client, and a ValueError there is not JSON.
            raise PydanticCustomError("action_form", "give exactly one of 'text' or 'typed'")
        return self

    @classmethod
    def of(cls, action: str | EnvAction | Mapping[str, Any]) -> MTSQLAction:
        """Wrap what an mtsql agent returns (text, `mtsql_env.actions.Action` or dict)."""
        if isinstance(action, str):
            return cls(text=action)
        if isinstance(action, EnvAction):
            fields = {
                "kind": action.kind,
                "sql": action.sql,
                "target": action.target,
                "verdict": action.verdict,
            }
            return cls(typed={k: getattr(v, "value", v) for k, v in fields.items() if v is not None})
        return cls(typed=dict(action))

    def to_env(self) -> str | dict[str, Any]:
        return self.text if self.text is not None else self.typed


class MTSQLObservation(Observation):
    """The env's observation text; ``metadata`` is its ``info`` dict (reward components included)."""

    text: str = Field(default="", description="The next message to the model.")
    terminated: bool = Field(default=False, description="The episode ended (last answer given).")
    truncated: bool = Field(default=False, description="The episode was cut (step limit in turn mode).")


class MTSQLState(State):
    """Where a session's episode stands."""

    dialogue_id: str | None = None
    db_id: str | None = None
    turn_index: int = 0
    num_turns: int = 0
    done: bool = False
    episode_reward: float = 0.0


class MTSQLEnvironment(Environment[MTSQLAction, MTSQLObservation, MTSQLState]):
    """One session's `mtsql_env.MTSQLEnv` (made with ``gym.make``, as in-process play makes it).

    Args:
        env_id: ``"MTSQL-CoSQL-v0"`` or ``"MTSQL-SParC-v0"``.
        env_factory: builds the session's env instead (e.g. `mtsql_env.integrations.ray_pool.RayEnvPool.session`).
        **env_kwargs: ``gym.make`` keywords (``data_dir``, ``split``, ``mode``, ``reward``, ...).
    """

    SUPPORTS_CONCURRENT_SESSIONS = True  # every session builds its own env, executor and result cache

    def __init__(
        self, env_id: str = "MTSQL-CoSQL-v0", env_factory: Callable[[], Any] | None = None, **env_kwargs: Any
    ) -> None:
        import gymnasium as gym

        import mtsql_env  # noqa: F401 - registers the ids

        super().__init__()
        self._env = env_factory() if env_factory is not None else gym.make(env_id, **env_kwargs)
        self._state = MTSQLState()
        self._started = False
        self._closed = False

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        dialogue_id: str | None = None,
        index: int | None = None,
        turn: int | None = None,
    ) -> MTSQLObservation:
        """Start an episode: by ``dialogue_id`` or ``index`` (and ``turn`` in turn mode), else drawn with ``seed``."""
        self._check_open()
        options = {
            k: v
            for k, v in {
                "dialogue_id": dialogue_id,
                "index": index,
                "turn": turn,
            }.items()
            if v is not None
        }
        text, info = self._env.reset(seed=seed, options=options)
        self._started = True
        self._state = MTSQLState(
            episode_id=episode_id,
            dialogue_id=info["dialogue_id"],
            db_id=info["db_id"],
            turn_index=info["turn_index"],
            num_turns=info["num_turns"],
        )
        return MTSQLObservation(text=text, reward=0.0, metadata=_json_safe(info))

    def step(self, action: MTSQLAction, timeout_s: float | None = None, **kwargs: Any) -> MTSQLObservation:
        self._check_open()
        if not self._started:
            raise RuntimeError("send a reset before the first step")
        text, reward, terminated, truncated, info = self._env.step(action.to_env())
        state = self._state
        state.step_count += 1
        state.turn_index = info["turn_index"]
        state.done = bool(terminated or truncated)
        state.episode_reward += float(reward)
        return MTSQLObservation(
            text=text,
            reward=float(reward),
            done=state.done,
            terminated=bool(terminated),
            truncated=bool(truncated),
            metadata=_json_safe(info),
        )

    @property
    def state(self) -> MTSQLState:
        return self._state

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._env.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this session was closed (idle timeout or server shutdown); open a new one")


def _json_safe(info: dict[str, Any]) -> dict[str, Any]:
    """``info`` with non-finite floats as None (JSON has no NaN), everything else as is."""

    def fix(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [fix(v) for v in value]
        return value

    return fix(info)


class MTSQLEnvClient(EnvClient[MTSQLAction, MTSQLObservation, MTSQLState]):
    """OpenEnv client for `mtsql serve` (async; ``.sync()`` for blocking use).

    Example (a server on port 8000)::

        async with MTSQLEnvClient(base_url="ws://127.0.0.1:8000") as env:
            result = await env.reset(index=0)
            result = await env.step(MTSQLAction(text="<propose>SELECT 1</propose>"))
            result.reward, result.observation.metadata["reward_components"]
    """

    def _step_payload(self, action: MTSQLAction) -> dict[str, Any]:
        return action.model_dump(exclude_none=True, exclude={"metadata"})

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[MTSQLObservation]:
        observation = MTSQLObservation(
            **payload.get("observation", {}),
            reward=payload.get("reward"),
            done=payload.get("done", False),
        )
        return StepResult(observation, observation.reward, observation.done, payload.get("metadata"))

    def _parse_state(self, payload: dict[str, Any]) -> MTSQLState:
        return MTSQLState(**payload)


class RequestSizeLimit:
    """ASGI middleware: an HTTP body or WebSocket message over ``max_bytes`` gets an error reply.

    HTTP: 413 (a body without Content-Length gets 411). WebSocket: the oversized message is answered with an
    OpenEnv error frame (code ``REQUEST_TOO_LARGE``) and dropped; the session goes on. (Frames beyond the
    server's ``ws_max_size`` never reach here: the connection is closed with code 1009.)
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            length = headers.get(b"content-length")
            status = None
            if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
                status = 413
            elif length is None and b"chunked" in headers.get(b"transfer-encoding", b""):
                status = 411
            if status is not None:
                body = json.dumps({"detail": f"request body over the {self.max_bytes}-byte limit"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":

            async def limited_receive() -> dict[str, Any]:
                while True:
                    message = await receive()
                    if message["type"] != "websocket.receive" or not self._too_large(message):
                        return message
                    error = {
                        "message": f"message over the {self.max_bytes}-byte limit",
                        "code": "REQUEST_TOO_LARGE",
                    }
                    await send(
                        {
                            "type": "websocket.send",
                            "text": json.dumps({"type": "error", "data": error}),
                        }
                    )

            await self.app(scope, limited_receive, send)
        else:
            await self.app(scope, receive, send)

    def _too_large(self, message: dict[str, Any]) -> bool:
        text = message.get("text")
        if text is not None:  # a character is 1 to 4 bytes: encode only when it could matter
            return len(text) > self.max_bytes or (
                4 * len(text) > self.max_bytes and len(text.encode()) > self.max_bytes
            )
        return len(message.get("bytes") or b"") > self.max_bytes


@dataclass
class ServerConfig:
    """What `mtsql serve` runs: which env, and the limits that keep a shared server healthy."""

    env_id: str = "MTSQL-CoSQL-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 64
    idle_timeout_s: float | None = 300.0
    max_request_bytes: int = 256 * 1024
    ray_workers: int = (
        0  # > 0: sessions live on a `RayEnvPool` of this many actors instead of in this process
    )
    ray_address: str | None = None  # the Ray cluster to join (None: RAY_ADDRESS, else a local Ray)

    def __post_init__(self) -> None:
        if self.max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, not {self.max_sessions}")
        if self.idle_timeout_s is not None and self.idle_timeout_s <= 0:
            raise ValueError(f"idle_timeout_s must be positive or None, not {self.idle_timeout_s}")
        if self.max_request_bytes < 1024:
            raise ValueError(f"max_request_bytes must be at least 1024, not {self.max_request_bytes}")


def create_server_app(config: ServerConfig) -> Any:
    """The ASGI app: OpenEnv's FastAPI app for `MTSQLEnvironment`, behind `RequestSizeLimit`.

    One env is built here first, so a bad ``env_kwargs`` (no data, unknown split) fails at startup.
    """
    env_factory = None
    if config.ray_workers:
        import ray

        from .ray_pool import RayEnvPool

        if not ray.is_initialized():
            ray.init(address=config.ray_address)
        env_factory = RayEnvPool(config.env_id, config.ray_workers, **config.env_kwargs).session
    factory = functools.partial(MTSQLEnvironment, config.env_id, env_factory=env_factory, **config.env_kwargs)
    factory().close()
    app = create_app(
        factory,
        MTSQLAction,
        MTSQLObservation,
        env_name=config.env_id,
        concurrency_config=ConcurrencyConfig(
            max_concurrent_envs=config.max_sessions,
            session_timeout=config.idle_timeout_s,
        ),
        state_cls=MTSQLState,
        mode="simulation",
    )
    app.add_middleware(RequestSizeLimit, max_bytes=config.max_request_bytes)
    return app


def _uvicorn_config(config: ServerConfig) -> Any:
    import uvicorn

    return uvicorn.Config(
        create_server_app(config),
        host=config.host,
        port=config.port,
        ws_max_size=16 * config.max_request_bytes,
        log_level="warning",
    )


def serve(config: ServerConfig) -> None:
    """Run the server until interrupted (uvicorn, one process; sessions run in threads)."""
    import uvicorn

    server = uvicorn.Server(_uvicorn_config(config))
    logger.info(
        "serving %s on ws://%s:%d/ws (max %d sessions, idle timeout %s s)",
        config.env_id,
        config.host,
        config.port,
        config.max_sessions,
        config.idle_timeout_s,
    )
    server.run()


@contextlib.contextmanager
def running_server(config: ServerConfig, *, start_timeout_s: float = 60.0) -> Iterator[str]:
    """Serve in a background thread of this process; yields the ``ws://host:port`` URL (``port=0``: any free port).

    For tests and notebooks; the server stops when the block ends.
    """
    import uvicorn

    server = uvicorn.Server(_uvicorn_config(config))
    thread = threading.Thread(target=server.run, name="mtsql-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the server did not start (see the log)")
        time.sleep(0.02)
    try:
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"ws://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
