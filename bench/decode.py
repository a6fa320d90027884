"""Local generation speed against this machine's own limits, measured in the same run.

    python bench/decode.py [--model smollm2-135m-instruct] [--new 64] [--prompt-tokens 600] [--batch 16]

For each dtype the CPU computes natively (float32 always; bfloat16 only with AVX512-BF16/AMX):

- **limits**: weight streaming (a large matrix-vector product: GB/s, so the fastest a decoding step can be when
  it reads every weight once) and compute (a large matrix product: GFLOP/s, so the fastest prefill can be at
  2 FLOP per parameter per token);
- **ours**: ragtune's local path (the transformers model, ``generate`` with a KV cache), first in transformers'
  weight layout, then in the layout ``LocalGenerator`` uses (``ragtune.generate.layout``): batch-1 decoding
  (ms per step, tokens/s), prefill of one ``--prompt-tokens`` prompt (tokens/s), and batched
  decoding of ``--batch`` short prompts (tokens/s over all rows);
- each figure as a share of its limit;
- **llama.cpp** on the bundled GGUF (its own Q4_1 weights, so it streams about a sixth of the fp32 bytes), when
  ``llama_cpp`` (the llama-cpp-python package) is installed: batch-1 decoding and prefill tokens/s, 2 threads.

Prints the CPU class beside the figures. Run it on an idle machine: a busy one spins torch's threads.
"""

from __future__ import annotations

import argparse
import time


def _best(fn, repeats: int = 3) -> float:
    """The fastest of ``repeats`` timed calls, in seconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def limits(dtype) -> tuple[float, float]:
    """(GB/s streaming a 256 MiB matrix through a matrix-vector product, GFLOP/s of a 2048^3 matrix product)."""
    import torch

    size = torch.tensor([], dtype=dtype).element_size()
    matrix = torch.randn(8192, 8192 * 4 // size, dtype=dtype)
    vector = torch.randn(matrix.shape[1], dtype=dtype)
    gbs = matrix.numel() * matrix.element_size() / _best(lambda: matrix.mv(vector)) / 1e9
    a, b = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
    gflops = 2 * 2048**3 / _best(lambda: a @ b) / 1e9
    return gbs, gflops


def ours(model, tokenizer, new: int, prompt_tokens: int, batch: int) -> dict[str, float]:
    """Batch-1 decode step (s), prefill tokens/s and batched decode tokens/s of the transformers path."""
    import torch

    def run(ids, attention, steps):
        model.generate(input_ids=ids, attention_mask=attention, max_new_tokens=steps, min_new_tokens=steps,
                       do_sample=False, temperature=None, top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id)

    short = torch.tensor([tokenizer("Tell me about the warranty on the X200 router.")["input_ids"]])
    ones = torch.ones_like(short)
    long_ids = torch.randint(100, 20000, (1, prompt_tokens))
    rows = short.repeat(batch, 1)
    with torch.inference_mode():
        one = _best(lambda: run(short, ones, 1))
        step = (_best(lambda: run(short, ones, new)) - one) / (new - 1)
        prefill = _best(lambda: run(long_ids, torch.ones_like(long_ids), 1))
        first = _best(lambda: run(rows, torch.ones_like(rows), 1))
        batched = (_best(lambda: run(rows, torch.ones_like(rows), new)) - first) / (new - 1)
    return {"step_s": step, "prefill_tps": prompt_tokens / prefill, "batched_tps": batch / batched}


def llama_cpp(gguf: str, new: int, prompt_tokens: int) -> dict[str, float] | None:
    """llama.cpp's batch-1 decode and prefill tokens/s on the GGUF file, or None without llama-cpp-python."""
    try:
        from llama_cpp import Llama
    except ImportError:
        return None
    llm = Llama(model_path=gguf, n_ctx=2048, n_threads=2, n_batch=512, verbose=False)
    prompt = llm.tokenize(b"Tell me about the warranty on the X200 router.")
    llm.eval(prompt)  # warm-up
    llm.reset()
    llm.eval(prompt)
    started = time.perf_counter()
    for _ in range(new):  # one decoding step each (the same token: the speed does not depend on which)
        llm.eval([prompt[-1]])
    decode = new / (time.perf_counter() - started)
    tokens = [100 + i % 20000 for i in range(prompt_tokens)]
    llm.reset()
    started = time.perf_counter()
    llm.eval(tokens)
    return {"decode_tps": decode, "prefill_tps": prompt_tokens / (time.perf_counter() - started)}


def _print(figures: dict[str, float], step_limit: float, prefill_limit: float, args: argparse.Namespace) -> None:
    share = figures["prefill_tps"] / prefill_limit
    print(f"    batch-1 decoding   {1000 * figures['step_s']:6.1f} ms a step = {1 / figures['step_s']:6.1f} "
          f"tokens/s ({step_limit / figures['step_s']:.0%} of the streaming limit)")
    print(f"    prefill            {figures['prefill_tps']:6.0f} tokens/s ({share:.0%} of the compute limit; "
          f"{args.prompt_tokens}-token prompt)")
    print(f"    batched decoding   {figures['batched_tps']:6.1f} tokens/s at batch {args.batch} "
          f"({figures['batched_tps'] * figures['step_s']:.1f}x batch 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--new", type=int, default=64, help="new tokens per decoding run")
    parser.add_argument("--prompt-tokens", type=int, default=600)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()

    import torch

    from ragtune.generate.layout import lay_out_for_decoding
    from ragtune.generate.models import load_model_files, resolve_model_path
    from ragtune.hardware import cpu_class, cpu_has_native_bf16
    from ragtune.models.resolve import DEFAULT_GENERATOR, GENERATION, bundled_file

    print(f"CPU: {cpu_class()}, {torch.get_num_threads()} threads; model {args.model}")
    dtypes = ["float32"] + (["bfloat16"] if cpu_has_native_bf16() else [])
    for name in dtypes:
        dtype = getattr(torch, name)
        gbs, gflops = limits(dtype)
        model, tokenizer = load_model_files(resolve_model_path(args.model), args.model, dtype, "cpu")
        weights = sum(p.numel() * p.element_size() for p in model.parameters())
        params = sum(p.numel() for p in model.parameters())
        step_limit, prefill_limit = weights / (gbs * 1e9), gflops * 1e9 / (2 * params)
        print(f"\n{name}: limits {gbs:.1f} GB/s streaming ({weights / 1e6:.0f} MB of weights: "
              f"{1000 * step_limit:.1f} ms a token), {gflops:.0f} GFLOP/s ({prefill_limit:.0f} prefill tokens/s)")
        before = ours(model, tokenizer, args.new, args.prompt_tokens, args.batch)
        if all(p.is_contiguous() for p in lay_out_for_decoding(model, "cpu").parameters()):  # bf16: kept as it is
            print(f"  transformers' layout (ragtune keeps it for {name}):")
            _print(before, step_limit, prefill_limit, args)
            continue
        got = ours(model, tokenizer, args.new, args.prompt_tokens, args.batch)
        for label, figures in (("transformers' layout", before), ("ragtune's decode layout", got)):
            print(f"  {label}:")
            _print(figures, step_limit, prefill_limit, args)
        print(f"  decode layout / transformers' layout: batch-1 decoding {before['step_s'] / got['step_s']:.2f}x, "
              f"prefill {got['prefill_tps'] / before['prefill_tps']:.2f}x, "
              f"batched {got['batched_tps'] / before['batched_tps']:.2f}x")
        del model
    if args.model == "smollm2-135m-instruct":
        gguf = str(bundled_file(DEFAULT_GENERATOR, GENERATION))
        other = llama_cpp(gguf, args.new, args.prompt_tokens)
        if other is None:
            print("\nllama.cpp: not measured (pip install llama-cpp-python, which builds llama.cpp from source)")
        else:
            print(f"\nllama.cpp (Q4_1 GGUF, 2 threads): decoding {other['decode_tps']:.1f} tokens/s, prefill "
                  f"{other['prefill_tps']:.0f} tokens/s")


if __name__ == "__main__":
    main()
