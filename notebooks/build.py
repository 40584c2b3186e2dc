"""Writes every notebook from the cells below: `python notebooks/build.py`.

Keeping the source here makes the notebooks reviewable as plain Python; the
.ipynb files are committed without outputs and executed by
tests/test_notebooks.py on the smoke preset. Each follows the keras-io order:
Introduction, Setup, Configuration, Data, Model, Training, Inference.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def setup(suite: str, plots: bool = False) -> str:
    """The Setup cell: imports, the preset, a scratch run directory, the suite."""
    plotting = "import matplotlib.pyplot as plt\nimport numpy as np\n" if plots else ""
    return (
        "import os\n"
        "import tempfile\n"
        "from pathlib import Path\n\n"
        f"{plotting}"
        "import tensorflow as tf\n\n"
        "from seqsuite.shared import runner\n\n"
        "PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')\n"
        "OUT = Path(tempfile.mkdtemp()) / 'run'\n"
        f"suite = runner.get_suite('{suite}')"
    )

forecasting = [
    new_markdown_cell(
        "# Forecasting and anomaly detection with recurrent networks\n\n"
        "## Introduction\n"
        "This walkthrough trains seqsuite's forecasting suite on the weekly Mauna Loa CO2 "
        "series that ships with statsmodels, compares it with naive and seasonal-naive "
        "baselines, serves the exported SavedModel on raw (unscaled) windows, and uses the "
        "same forecaster to detect injected anomalies. Everything runs offline on a CPU."
    ),
    new_markdown_cell("## Setup\n`SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`)."),
    new_code_cell(setup("forecasting", plots=True)),
    new_markdown_cell(
        "## Configuration\nOne dataclass with presets; `key=value` overrides are type-checked, "
        "exactly as `seqsuite train forecasting --set ...` does."
    ),
    new_code_cell(
        "config = runner.resolve_config(suite, PRESET, ['data=co2', 'task=anomaly'])\n"
        "config"
    ),
    new_markdown_cell(
        "## Data\nChronological train / validation / test split; scaling statistics come from "
        "the training part only."
    ),
    new_code_cell(
        "data = suite.data.load_data(config)\n"
        "train_end, val_end = data.bounds\n"
        "fig, ax = plt.subplots(figsize=(9, 3))\n"
        "ax.plot(data.series[:, 0], color='0.3')\n"
        "ax.axvspan(train_end, val_end, alpha=0.15, label='validation')\n"
        "ax.axvspan(val_end, len(data.series), alpha=0.3, label='test')\n"
        "ax.set_ylabel('CO2 (ppm)')\n"
        "ax.legend()\n"
        "{split: w[0].shape for split, w in data.windows.items()}"
    ),
    new_markdown_cell(
        "## Model\n`build_model(config)` is the single model builder that training and tuning "
        "both use: normalisation inside the model, a recurrent encoder over the window "
        "relative to its last step, and a direct multi-step head."
    ),
    new_code_cell("model = suite.model.build_model(config)\nmodel.summary()"),
    new_markdown_cell(
        "## Training\nThe shared runner trains with checkpoints every epoch, evaluates against "
        "the baselines, plots and exports."
    ),
    new_code_cell(
        "metrics = runner.train(suite, config, OUT, preset=PRESET)\n"
        "print(runner.format_metrics(metrics))"
    ),
    new_markdown_cell(
        "## Inference\nThe SavedModel needs no seqsuite code: it takes a raw window and returns "
        "the forecast in ppm."
    ),
    new_code_cell(
        "served = tf.saved_model.load(str(OUT / 'export'))\n"
        "x, y, starts = data.windows['test']\n"
        "forecast = served.signatures['serving_default'](window=tf.constant(x[-1:]))['forecast']"
        ".numpy()[0]\n"
        "fig, ax = plt.subplots(figsize=(9, 3))\n"
        "hist = data.series[starts[-1] - 2 * config.window : starts[-1], 0]\n"
        "ax.plot(np.arange(len(hist)), hist, color='0.4', label='history')\n"
        "future = np.arange(len(hist), len(hist) + config.horizon)\n"
        "ax.plot(future, y[-1], '.-', label='truth')\n"
        "ax.plot(future, forecast, '.-', label='forecast')\n"
        "ax.legend()\n"
        "print('MAE of this window:', float(np.abs(forecast - y[-1]).mean()))"
    ),
    new_markdown_cell(
        "Anomaly detection flags points whose one-step residual is extreme; the run scored "
        "it on a copy of the test split with injected spikes and level shifts."
    ),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "print(metrics['anomaly'])\n"
        "Image(filename=str(OUT / 'anomalies.png'))"
    ),
]

translation = [
    new_markdown_cell(
        "# Date normalisation with an attention decoder\n\n"
        "## Introduction\n"
        "A sequence-to-sequence model with a bidirectional LSTM encoder and a Luong attention "
        "decoder learns to rewrite dates written by people ('Tuesday, 3rd of March 1998', "
        "'03/04/98', '4 mar. 1998') as ISO 8601. The test split holds dates and surface forms "
        "the model never saw. We compare greedy decoding with beam search, look at the "
        "attention, and serve the exported SavedModel on raw strings."
    ),
    new_markdown_cell("## Setup"),
    new_code_cell(setup("translation")),
    new_markdown_cell("## Configuration"),
    new_code_cell("config = runner.resolve_config(suite, PRESET, ['attention=luong'])\nconfig"),
    new_markdown_cell("## Data\nA seeded generator; here are a few test pairs."),
    new_code_cell(
        "data = suite.data.load_data(config)\n"
        "config = runner.resolve_from_data(config, data)\n"
        "data.pairs['test'][:8]"
    ),
    new_markdown_cell(
        "## Model\n`build_model(config)` vectorises the raw strings inside the model, so the "
        "exported model takes text."
    ),
    new_code_cell("suite.model.build_model(config).summary()"),
    new_markdown_cell("## Training\nThe shared runner trains, scores greedy and beam search, "
                      "plots attention heatmaps and exports."),
    new_code_cell(
        "metrics = runner.train(suite, config, OUT, preset=PRESET)\n"
        "print(runner.format_metrics(metrics))"
    ),
    new_markdown_cell("## Inference\nThe SavedModel needs no seqsuite code."),
    new_code_cell(
        "served = tf.saved_model.load(str(OUT / 'export'))\n"
        "texts = ['Tuesday, 3rd of March 1998', '04/05/98', 'the 1st of june, 2001']\n"
        "served.signatures['serving_default'](text=tf.constant(texts))['translation']"
    ),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "Image(filename=str(OUT / 'attention_0.png'))"
    ),
]

reservoir = [
    new_markdown_cell(
        "# Echo state networks on chaotic series\n\n"
        "## Introduction\n"
        "An echo state network keeps a fixed random recurrent reservoir and fits only a "
        "linear readout, in closed form. We predict the Mackey-Glass series one step ahead, "
        "let the network run in closed loop on its own predictions, and compare it with an "
        "LSTM trained by backpropagation through time on the same data."
    ),
    new_markdown_cell("## Setup"),
    new_code_cell(setup("reservoir")),
    new_markdown_cell(
        "## Configuration\nReservoir hyperparameters: size, spectral radius, leak rate, input "
        "scaling, connectivity and the ridge penalty of the readout."
    ),
    new_code_cell("config = runner.resolve_config(suite, PRESET, ['task=generate'])\nconfig"),
    new_markdown_cell("## Data\nA seeded Mackey-Glass generator (delay 17); chronological splits."),
    new_code_cell(
        "data = suite.data.load_data(config)\n"
        "config = runner.resolve_from_data(config, data)\n"
        "print(data.series.shape, data.bounds)"
    ),
    new_markdown_cell(
        "## Model\n`build_model(config)` returns a `shared.reservoir.ESN`: a Keras model whose "
        "`fit` solves the ridge regression in one pass."
    ),
    new_code_cell(
        "esn = suite.model.build_model(config)\n"
        "esn = suite.train.fit_model(esn, data, config)\n"
        "print('validation MSE (standardised):', suite.train.validation_loss(esn, data, config))"
    ),
    new_markdown_cell(
        "## Training\nThe shared runner fits the ESN, trains the LSTM baseline, scores both, "
        "plots and exports."
    ),
    new_code_cell(
        "metrics = runner.train(suite, config, OUT, preset=PRESET)\n"
        "print(runner.format_metrics(metrics))"
    ),
    new_markdown_cell("## Inference\nClosed-loop generation against the truth:"),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "Image(filename=str(OUT / 'generation.png'))"
    ),
    new_code_cell(
        "served = tf.saved_model.load(str(OUT / 'export'))\n"
        "window = tf.constant(data.inputs[None, :200])\n"
        "served.signatures['serving_default'](series=window)['prediction'].shape"
    ),
]

language_model = [
    new_markdown_cell(
        "# Character-level language model on Python's documentation\n\n"
        "## Introduction\n"
        "A stateful LSTM reads the English text of Python's documentation topics (it ships "
        "with CPython) in consecutive windows, carrying its state from one window to the "
        "next. We measure bits per character against unigram and trigram baselines and "
        "sample text from the exported SavedModel."
    ),
    new_markdown_cell("## Setup"),
    new_code_cell(setup("language_model")),
    new_markdown_cell("## Configuration"),
    new_code_cell("config = runner.resolve_config(suite, PRESET, ['cell=lstm'])\nconfig"),
    new_markdown_cell(
        "## Data\nEach split is cut into `batch_size` streams; batch k holds window k of every "
        "stream, so consecutive batches continue the text."
    ),
    new_code_cell(
        "data = suite.data.load_data(config)\n"
        "config = runner.resolve_from_data(config, data)\n"
        "texts, targets = next(iter(data.train))\n"
        "print(len(data.vocabulary), 'symbols;', repr(texts[0].numpy().decode()[:80]))"
    ),
    new_markdown_cell("## Model"),
    new_code_cell("suite.model.build_model(config).summary()"),
    new_markdown_cell("## Training"),
    new_code_cell(
        "metrics = runner.train(suite, config, OUT, preset=PRESET)\n"
        "print(runner.format_metrics(metrics))"
    ),
    new_markdown_cell(
        "## Inference\nThe SavedModel's signature takes prompts and returns the prompt "
        "followed by sampled text."
    ),
    new_code_cell(
        "served = tf.saved_model.load(str(OUT / 'export'))\n"
        "out = served.signatures['serving_default'](\n"
        "    prompt=tf.constant(['The for statement']), length=tf.constant(200),\n"
        "    temperature=tf.constant(0.8), seed=tf.constant(0))\n"
        "print(out['text'].numpy()[0].decode())"
    ),
]

sentiment = [
    new_markdown_cell(
        "# Sentiment classification with attention pooling\n\n"
        "## Introduction\n"
        "A bidirectional LSTM reads a review, attention pooling weighs its words into one "
        "vector, and a softmax layer classifies it. The embedded reviews follow exact "
        "compositional rules (negation, intensifiers, 'but' and 'although', long neutral "
        "asides), and the test split pairs aspects, adjectives and constructions in ways never "
        "seen in training. We compare the model with a bag-of-words logistic regression on the "
        "same split, look at the words the model attends to, and serve the exported SavedModel "
        "on raw strings."
    ),
    new_markdown_cell("## Setup\n`SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`)."),
    new_code_cell(setup("sentiment")),
    new_markdown_cell(
        "## Configuration\nOne dataclass with presets; `key=value` overrides are type-checked, "
        "exactly as `seqsuite train sentiment --set ...` does."
    ),
    new_code_cell(
        "config = runner.resolve_config(suite, PRESET, ['cell=lstm', 'bidirectional=true'])\n"
        "config"
    ),
    new_markdown_cell(
        "## Data\nA seeded generator; the label follows the rules written out in "
        "`suites/sentiment/reviews.py` (the clause after 'but' decides, the clause 'although' "
        "introduces never does, 'and' adds clause scores, an intensifier doubles a score and a "
        "negation flips it). A few test reviews:"
    ),
    new_code_cell(
        "data = suite.data.load_data(config)\n"
        "config = runner.resolve_from_data(config, data)\n"
        "rows = zip(data.texts['test'], data.labels['test'], data.constructions['test'])\n"
        "for text, label, construction in list(rows)[:6]:\n"
        "    print(f'{config.labels[label]:<4}{construction:<16}{text}')"
    ),
    new_markdown_cell(
        "## Model\n`build_model(config)` vectorises the text inside the model, embeds it, runs "
        "a bidirectional recurrent encoder and pools it with `AttentionPooling`; the serving "
        "signature also prepares raw text, so the exported model takes strings."
    ),
    new_code_cell("suite.model.build_model(config).summary()"),
    new_markdown_cell(
        "## Training\nThe shared runner trains, scores the model beside the bag-of-words "
        "baseline (overall, per class and per construction), shades the words of three test "
        "reviews by their attention weight and exports."
    ),
    new_code_cell(
        "metrics = runner.train(suite, config, OUT, preset=PRESET)\n"
        "print(runner.format_metrics(metrics))"
    ),
    new_markdown_cell(
        "## Inference\nThe SavedModel needs no seqsuite code. It returns the class "
        "probabilities and the most likely label; a text with no tokens gets uniform "
        "probabilities and the label ''."
    ),
    new_code_cell(
        "served = tf.saved_model.load(str(OUT / 'export'))\n"
        "texts = ['The plot was not bad, although the acting was dull.',\n"
        "         'The ending was dull but the cast was truly superb.', '']\n"
        "out = served.signatures['serving_default'](text=tf.constant(texts))\n"
        "for text, label, p in zip(texts, out['label'].numpy(), out['probabilities'].numpy()):\n"
        "    print(f'{label.decode() or \"(empty)\":<8}{p.round(3)}  {text!r}')"
    ),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "Image(filename=str(OUT / 'attention_0.png'))"
    ),
]

tagging = [
    new_markdown_cell(
        "# Identifier roles in Python source with a BiLSTM-CRF tagger\n\n"
        "## Introduction\n"
        "A bidirectional LSTM reads the tokens of a line of Python and tags each with its role "
        "(function and class definitions, parameters, calls, attributes, imports, keywords, "
        "literals) in BIO form. The data come from the standard library of the running "
        "interpreter: tokens from `tokenize`, roles from `ast`, split by file. We train a CRF "
        "head, which scores whole tag sequences and decodes them with Viterbi, look at the "
        "transitions it learned, and serve the exported SavedModel on raw text."
    ),
    new_markdown_cell("## Setup"),
    new_code_cell(setup("tagging", plots=True)),
    new_markdown_cell(
        "## Configuration\n`head=crf` (the default) or `head=softmax`; any cell of "
        "`shared.encoders`."
    ),
    new_code_cell("config = runner.resolve_config(suite, PRESET, ['head=crf'])\nconfig"),
    new_markdown_cell(
        "## Data\nOne sentence per logical line, BIO tags over the role types; the test files "
        "never occur in training. A few training sentences:"
    ),
    new_code_cell(
        "data = suite.data.load_data(config)\n"
        "config = runner.resolve_from_data(config, data)\n"
        "print({split: len(files) for split, files in data.files.items()}, 'files')\n"
        "short = [s for s in data.sentences['train']\n"
        "         if 4 <= len(s[0]) <= 12 and not any('\\n' in t for t in s[0])]\n"
        "for tokens, tags in short[:8]:\n"
        "    print(' '.join(f'{t}/{g}' for t, g in zip(tokens, tags)))"
    ),
    new_markdown_cell(
        "## Model\n`build_model(config)`: token and token-shape embeddings, a bidirectional "
        "LSTM, per-token tag scores and the `shared.crf.CRF` layer, trained with `CRFLoss` "
        "(the negative log-likelihood of the whole tag sequence)."
    ),
    new_code_cell("suite.model.build_model(config).summary()"),
    new_markdown_cell(
        "## Training\nThe shared runner trains, scores entity-level precision, recall and F1 "
        "beside a most-frequent-tag baseline, and exports."
    ),
    new_code_cell(
        "metrics = runner.train(suite, config, OUT, preset=PRESET)\n"
        "print(runner.format_metrics(metrics))"
    ),
    new_markdown_cell(
        "## Inference\nThe transition scores the CRF learned (row: previous tag, column: next "
        "tag); moves such as `O` -> `I-CALL` should score low."
    ),
    new_code_cell(
        "model = runner.load_run(OUT)[2]\n"
        "transitions = model.get_layer('crf').transitions.numpy()\n"
        "limit = np.abs(transitions).max()\n"
        "fig, ax = plt.subplots(figsize=(7, 6))\n"
        "ax.imshow(transitions, cmap='RdBu_r', vmin=-limit, vmax=limit)\n"
        "ax.set_xticks(range(len(config.tags)), config.tags, rotation=90)\n"
        "ax.set_yticks(range(len(config.tags)), config.tags)\n"
        "ax.set_xlabel('next tag')\n"
        "ax.set_ylabel('previous tag')"
    ),
    new_markdown_cell(
        "The SavedModel needs no seqsuite code: it takes space-separated tokens and returns the "
        "tokens and their tags."
    ),
    new_code_cell(
        "served = tf.saved_model.load(str(OUT / 'export'))\n"
        "texts = ['def area ( self , r ) :', 'return math . pi * r ** 2', 'import os . path']\n"
        "out = served.signatures['serving_default'](text=tf.constant(texts))\n"
        "for tokens, tags in zip(out['tokens'].numpy(), out['tags'].numpy()):\n"
        "    print(' '.join(f'{t.decode()}/{g.decode()}' for t, g in zip(tokens, tags) if t))"
    ),
]

NOTEBOOKS = {
    "forecasting": forecasting,
    "translation": translation,
    "reservoir": reservoir,
    "language_model": language_model,
    "sentiment": sentiment,
    "tagging": tagging,
}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        for i, cell in enumerate(cells):
            cell.id = f"{name}-{i}"  # stable ids keep rebuilt notebooks diff-free
        notebook = new_notebook(cells=cells, metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(notebook, Path(__file__).with_name(f"{name}.ipynb"))
