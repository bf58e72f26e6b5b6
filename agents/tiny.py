"""A tiny chat model built on the spot, with no downloads, for tests, examples and trainer smoke runs.

`build_tiny_model(folder)` writes a randomly initialised Qwen2 causal LM (about 45k parameters) and a
byte-level BPE tokenizer trained on the mtsql instructions and a little SQL, with a ChatML chat template,
then returns the folder; load it like any Hugging Face checkpoint::

    from mtsql_agents.tiny import build_tiny_model
    path = build_tiny_model("/tmp/tiny")
    model = AutoModelForCausalLM.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)

What the checkpoint guarantees (tests rely on it):

- the chat template is ChatML (``<|im_start|>role\\n...<|im_end|>``), ``<|im_end|>`` is the eos token, and the
  assistant part is wrapped in ``{% generation %}`` markers, so TRL's ``assistant_only_loss`` and
  ``return_assistant_tokens_mask`` work;
- the template renders ``tools`` (JSON schemas in the system message), assistant ``tool_calls`` as
  ``<tool_call>{...}</tool_call>``, and ``tool`` messages;
- byte-level BPE: any text (SQL, schema sample rows, any script) encodes and decodes losslessly;
- the same ``seed`` gives the same weights.

vLLM's CPU attention needs a head size of at least 32: for vLLM pass
``TinyModelConfig(hidden_size=64, intermediate_size=128, num_attention_heads=2, num_key_value_heads=1)``.

The model writes junk (it is untrained): use it to exercise code paths, never to measure quality.
Needs the ``train`` extra (torch, transformers, tokenizers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from mtsql_env import install_hint

logger = logging.getLogger(__name__)

__all__ = ["CHAT_TEMPLATE", "TinyModelConfig", "build_tiny_model"]

#: ChatML with `{% generation %}` markers, tools and tool messages.
CHAT_TEMPLATE = (
    "{% set NL = '\\n' %}"
    "{% if tools %}"
    "<|im_start|>system{{ NL }}"
    "{% if messages[0].role == 'system' %}{{ messages[0].content }}{{ NL }}{{ NL }}{% endif %}"
    "# Tools{{ NL }}"
    "{% for tool in tools %}{{ tool | tojson }}{{ NL }}{% endfor %}"
    'Call a tool with <tool_call>{"name": ..., "arguments": {...}}</tool_call>.<|im_end|>{{ NL }}'
    "{% elif messages[0].role == 'system' %}"
    "<|im_start|>system{{ NL }}{{ messages[0].content }}<|im_end|>{{ NL }}"
    "{% endif %}"
    "{% for message in messages %}"
    "{% if message.role == 'assistant' %}"
    "<|im_start|>assistant{{ NL }}"
    "{% generation %}"
    "{{ message.content or '' }}"
    "{% for call in message.tool_calls or [] %}"
    "{% set fn = call.function if call.function is defined else call %}"
    '<tool_call>{"name": "{{ fn.name }}", "arguments": '
    "{% if fn.arguments is string %}{{ fn.arguments }}{% else %}{{ fn.arguments | tojson }}{% endif %}"
    "}</tool_call>"
    "{% endfor %}"
    "<|im_end|>"
    "{% endgeneration %}{{ NL }}"
    "{% elif message.role != 'system' or not loop.first %}"
    "<|im_start|>{{ message.role }}{{ NL }}{{ message.content }}<|im_end|>{{ NL }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant{{ NL }}{% endif %}"
)

_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS_SQL = [
    "SELECT count(*) FROM singer WHERE age > 30",
    "SELECT name, country FROM singer ORDER BY age DESC LIMIT 3",
    "SELECT T1.name FROM concert AS T1 JOIN stadium AS T2 ON T1.stadium_id = T2.stadium_id GROUP BY T1.name",
    "SELECT avg(price), min(price), max(price) FROM product HAVING count(*) >= 2",
    "SELECT DISTINCT first_name FROM passenger WHERE nationality = 'Ireland' AND loyalty_tier IS NOT NULL",
    "SELECT title FROM book EXCEPT SELECT title FROM loan UNION SELECT title FROM book INTERSECT SELECT 1",
]


@dataclass
class TinyModelConfig:
    """Sizes of the tiny model; the defaults build in about a second on a laptop CPU."""

    vocab_size: int = field(default=1024, metadata={"help": "BPE vocabulary size (special tokens included)."})
    hidden_size: int = field(default=32, metadata={"help": "Width of the transformer."})
    intermediate_size: int = field(default=64, metadata={"help": "Width of the MLP."})
    num_hidden_layers: int = field(default=2, metadata={"help": "Transformer blocks."})
    num_attention_heads: int = field(default=4, metadata={"help": "Query heads."})
    num_key_value_heads: int = field(
        default=2, metadata={"help": "Key/value heads (grouped-query attention)."}
    )
    initializer_range: float = field(
        default=0.2,
        metadata={
            "help": "Std of the random weights. Large enough that greedy replies depend on the prompt "
            "(Qwen2's usual 0.02 makes every reply the same repeated token, which hides batching bugs)."
        },
    )
    max_position_embeddings: int = field(
        default=32768,
        metadata={"help": "Longest sequence; whole mtsql dialogues need several thousand tokens."},
    )


def _train_tokenizer(vocab_size: int):
    """A byte-level BPE tokenizer trained on the instructions, the tag grammar, tool schemas and SQL."""
    import json

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from mtsql_env.actions import TOOL_SCHEMAS
    from mtsql_env.prompts import INSTRUCTIONS

    corpus = [INSTRUCTIONS, *_CORPUS_SQL, *(json.dumps(tool) for tool in TOOL_SCHEMAS)]
    corpus += [
        "## Schema\nTable singer(singer_id number PRIMARY KEY, name text, age number)\nForeign keys:\n"
    ]
    corpus += [
        "## Question (turn 1 of 3)\nHow many singers are there?\nExecution ok: (5 rows)\nFormat error:"
    ]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
        model_max_length=10**6,
    )


def build_tiny_model(folder: str | Path, *, seed: int = 0, config: TinyModelConfig | None = None) -> Path:
    """Build the tiny model and tokenizer, save both to ``folder`` and return it.

    Args:
        folder: where to save (created if needed; existing files are overwritten).
        seed: seeds the weight initialisation (on a forked RNG; global torch state is untouched).
        config: sizes; `TinyModelConfig()` by default.

    Returns:
        The folder, ready for ``from_pretrained``.
    """
    try:
        import torch
        from transformers import Qwen2Config, Qwen2ForCausalLM
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError("the tiny model needs torch and transformers: " + install_hint("train")) from err

    cfg = config or TinyModelConfig()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer(cfg.vocab_size)
    model_config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_key_value_heads,
        max_position_embeddings=cfg.max_position_embeddings,
        initializer_range=cfg.initializer_range,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(model_config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = None
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    logger.info("tiny model (%d parameters) saved to %s", model.num_parameters(), folder)
    return folder
