"""Train, evaluate and export the translation suite.

    seqsuite train translation --preset quick --out runs/g2p
    seqsuite translate --run runs/g2p "pronunciation" "seqsuite"
    seqsuite train translation --preset quick --set data=dates --out runs/dates
"""

from __future__ import annotations

import numpy as np
import sacrebleu
import tensorflow as tf

from seqsuite.shared.data.text import prepare
from seqsuite.shared.evaluation.plots import plot_attention
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.translation.config import Config
from seqsuite.suites.translation.data import TranslationData
from seqsuite.suites.translation.model import Decoder


def decode_all(decoder: Decoder, texts: list[str], method: str, batch_size: int = 256):
    run = tf.function(lambda t: decoder.translate(t, method=method))
    out = []
    for i in range(0, len(texts), batch_size):
        out.extend(s.decode("utf-8") for s in run(tf.constant(texts[i : i + batch_size])).numpy())
    return out


def score(hypotheses: list[str], references: list[str], tokens: str) -> dict[str, float]:
    """Exact match, position-wise token accuracy and corpus BLEU (sacrebleu)."""
    exact = float(np.mean([h == r for h, r in zip(hypotheses, references)]))
    split = list if tokens == "char" else str.split
    correct = total = 0
    for h, r in zip(hypotheses, references):
        h_tokens, r_tokens = split(h), split(r)
        correct += sum(a == b for a, b in zip(h_tokens, r_tokens))
        total += max(len(h_tokens), len(r_tokens))
    bleu = sacrebleu.corpus_bleu(hypotheses, [references],
                                 tokenize="char" if tokens == "char" else "13a")
    return {"exact_match": exact, "token_accuracy": correct / max(total, 1),
            "bleu": float(bleu.score)}


def edit_distance(reference: str, hypothesis: str) -> int:
    """Substitutions, deletions and insertions between two space-separated token
    strings (jiwer's Levenshtein alignment)."""
    import jiwer

    if not hypothesis.strip():
        return len(reference.split())
    out = jiwer.process_words(reference, hypothesis)
    return out.substitutions + out.deletions + out.insertions


def pronunciation_errors(hypotheses: list[str], references: list[list[str]]) -> dict[str, float]:
    """Word and phoneme error rates of one hypothesis per word against its references.

    A word may have several pronunciations; the hypothesis is scored against the
    closest (fewest edits; the shorter on a tie), as in G2P evaluations since
    Bisani and Ney (2008). WER: the share of words whose hypothesis matches none
    of its pronunciations exactly. PER: the edits to the closest pronunciation,
    summed over the words and divided by those pronunciations' summed lengths.
    """
    wrong = edits = length = 0
    for hypothesis, candidates in zip(hypotheses, references):
        best = min((edit_distance(r, hypothesis), len(r.split())) for r in candidates)
        wrong += best[0] > 0
        edits += best[0]
        length += best[1]
    return {"wer": wrong / max(len(hypotheses), 1), "per": edits / max(length, 1)}


def is_pronunciation_task(config: Config) -> bool:
    """Characters in, word tokens (phonemes) out: scored by WER and PER."""
    return config.source_tokens == "char" and config.target_tokens == "word"


def evaluate(model, data: TranslationData, config: Config, where: Evaluation) -> dict:
    """Greedy and beam-search scores on the test split, and attention heatmaps in
    `where.out`.

    Pronunciations (`is_pronunciation_task`): WER and PER, each distinct source
    decoded once and scored against all of its targets. Other tasks: exact
    match, token accuracy and BLEU, pair by pair.
    """
    decoder = Decoder(model, config)
    targets = [t.decode("utf-8") for t in
               prepare([t for _, t in data.pairs["test"]], config.lowercase_target,
                       config.target_tokens).numpy()]
    pairs = list(zip((s for s, _ in data.pairs["test"]), targets))
    results = {}
    if is_pronunciation_task(config):
        grouped: dict[str, list[str]] = {}
        for source, target in pairs:
            grouped.setdefault(source, []).append(target)
        sources = list(grouped)
        for method in ("greedy", "beam"):
            results[method] = pronunciation_errors(decode_all(decoder, sources, method),
                                                   list(grouped.values()))
    else:
        sources = [s for s, _ in pairs]
        for method in ("greedy", "beam"):
            results[method] = score(decode_all(decoder, sources, method), targets,
                                    config.target_tokens)
    if config.attention != "none" and config.encoder == "rnn":  # the recurrent decoder's
        for i, text in enumerate(sources[:3]):
            out, source, weights = decoder.alignments(text)
            plot_attention(weights, source, out, where.out / f"attention_{i}.png",
                           title=text)
    return {"test": results,
            "data": {"corpus": data.name, "test_pairs": len(pairs), "test_sources": len(sources),
                     "train_sources": len({s for s, _ in data.pairs["train"]}),
                     "source_vocab": config.source_vocab_size,
                     "target_vocab": config.target_vocab_size}}


def translate(run, args) -> list[str]:
    """`seqsuite translate --run RUN [--method M] TEXT ...`: one translation per text."""
    return decode_all(Decoder(run.model, run.config), list(args.texts), args.method)


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "embedding_dim": hp.Choice("embedding_dim", [16, 32, 64]),
        "attention": hp.Choice("attention", ["luong", "bahdanau"]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64, 128]),
        "clip_norm": clip or None,
    }
