"""Identifier-role tagging of Python source: the tagging suite's embedded data.

Tokens come from `tokenize`, roles from `ast`, over the standard library of
the running interpreter, so the data need no download (and differ a little
between Python versions). One sentence is one logical line: the tokens between
two NEWLINE tokens, without comments, NL, INDENT and DEDENT. A token is its
exact source text (a string literal keeps its quotes, prefix and any spaces
inside it). On Python 3.12+, where `tokenize` splits f-strings into parts, the
parts of each f-string are joined back into one token, as on 3.11.

Entity types and the tokens they cover (BIO tags, IOB2: every entity starts
with `B-`, its further tokens are `I-`; everything else is `O`):

- `DEF`: the name of a `def` or `async def` (`ast.FunctionDef`,
  `ast.AsyncFunctionDef`).
- `CLASS`: the name of a `class` (`ast.ClassDef`).
- `PARAM`: each parameter name of a function or lambda signature (`ast.arg`),
  `self`, `*args` and `**kwargs` names included; annotations and defaults
  are tagged by their own content.
- `CALL`: the callee of a call (`ast.Call.func`): the name in `f(...)`, the
  attribute name in `obj.method(...)`; a callee that is neither a name nor an
  attribute (`f()()`, `table[k](...)`) gets no `CALL` tag.
- `ATTR`: the attribute name of an attribute access that is not a callee
  (`ast.Attribute.attr`: `x` in `obj.x`).
- `IMPORT`: in `import` and `from ... import` statements, each maximal run
  of names and dots that holds a name: a dotted module path with any leading
  relative dots (`os . path`, `. . pkg`: one multi-token entity), an imported
  name, an `as` alias. A lone relative dot (`from . import x`) and `*` are `O`.
- `KEYWORD`: a hard keyword (`keyword.iskeyword`) other than `True`, `False`
  and `None`; soft keywords (`match`, `case`, `_`, `type`) are names.
- `LITERAL`: a number or string token, `True`, `False` or `None`; adjacent
  string tokens (implicit concatenation, one `ast.Constant`) form one entity.

When two rules claim a token, the earlier in this list wins (`obj.method(...)`:
`method` is `CALL`, not `ATTR`). Logical lines longer than `max_length` tokens
are cut into pieces of at most `max_length`; a piece may then start inside an
entity with an `I-` tag.

Files: the `.py` files of `sysconfig.get_paths()["stdlib"]`, outside test
folders (`test`, `tests`, `idle_test`), `site-packages`, generated codec and
documentation tables (`encodings`, `pydoc_data`) and build configuration
(`config-*`), at most 100 KB each, sorted by path, shuffled with the seed.
Files that fail to read, tokenize or parse are skipped and the next one taken.
The split is by file: of `n_files` files, `val_fraction` (10%) validation, `test_fraction` (10%) test, the rest train
(at least one file each).
"""

from __future__ import annotations

import ast
import io
import keyword
import sysconfig
import tokenize
import warnings
from pathlib import Path

import numpy as np

from seqsuite.shared.data import splits

TYPES = ("DEF", "CLASS", "PARAM", "CALL", "ATTR", "IMPORT", "KEYWORD", "LITERAL")
EXCLUDED_DIRS = {"test", "tests", "idle_test", "site-packages", "encodings", "pydoc_data",
                 "__pycache__"}
MAX_FILE_BYTES = 100_000
_LITERAL_NAMES = {"True", "False", "None"}
_SKIPPED = {tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
# f-strings (3.12) and t-strings (3.14) arrive in parts; their starts and ends nest.
_STRING_STARTS = {getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START")
                  if hasattr(tokenize, n)}
_STRING_ENDS = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END")
                if hasattr(tokenize, n)}


def _tokens(source: str) -> list[tuple[int, str, tuple[int, int]]]:
    """(type, text, start) of every token, each f-string joined into one STRING token."""
    lines = source.splitlines(keepends=True)
    out, depth, start = [], 0, None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _STRING_STARTS:
            if depth == 0:
                start = tok.start
            depth += 1
            continue
        if depth:
            if tok.type in _STRING_ENDS:
                depth -= 1
                if depth == 0:
                    out.append((tokenize.STRING, _slice(lines, start, tok.end), start))
            continue
        out.append((tok.type, tok.string, tok.start))
    return out


def _slice(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (r0, c0), (r1, c1) = start, end
    if r0 == r1:
        return lines[r0 - 1][c0:c1]
    return lines[r0 - 1][c0:] + "".join(lines[r0 : r1 - 1]) + lines[r1 - 1][:c1]


class _Roles(ast.NodeVisitor):
    """Token start position -> role, for the roles that `ast` knows."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.roles: dict[tuple[int, int], str] = {}
        self.definitions: list[tuple[tuple[int, int], str, str]] = []  # start, name, role
        self.imports: list[tuple[tuple[int, int], tuple[int, int]]] = []  # statement spans

    def char_col(self, row: int, byte_col: int) -> int:
        """`ast` columns count UTF-8 bytes; `tokenize` columns count characters."""
        line = self.lines[row - 1]
        return byte_col if line.isascii() else len(line.encode()[:byte_col].decode())

    def pos(self, row: int, byte_col: int) -> tuple[int, int]:
        return row, self.char_col(row, byte_col)

    def claim(self, position: tuple[int, int], role: str) -> None:
        # Rules earlier in TYPES win.
        old = self.roles.get(position)
        if old is None or TYPES.index(role) < TYPES.index(old):
            self.roles[position] = role

    def _definition(self, node, role):
        self.definitions.append((self.pos(node.lineno, node.col_offset), node.name, role))
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self._definition(node, "DEF")

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._definition(node, "CLASS")

    def visit_arg(self, node):
        self.claim(self.pos(node.lineno, node.col_offset), "PARAM")
        self.generic_visit(node)

    def _attr_start(self, node: ast.Attribute) -> tuple[int, int]:
        return node.end_lineno, self.char_col(node.end_lineno, node.end_col_offset) - len(node.attr)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name):
            self.claim(self.pos(node.func.lineno, node.func.col_offset), "CALL")
        elif isinstance(node.func, ast.Attribute):
            self.claim(self._attr_start(node.func), "CALL")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        self.claim(self._attr_start(node), "ATTR")
        self.generic_visit(node)

    def _import(self, node):
        self.imports.append((self.pos(node.lineno, node.col_offset),
                             self.pos(node.end_lineno, node.end_col_offset)))

    visit_Import = visit_ImportFrom = _import


def tag_source(source: str) -> list[tuple[list[str], list[str]]]:
    """(tokens, BIO tags) of every logical line of `source`.

    Raises SyntaxError (or tokenize.TokenError, ValueError) for source that
    does not parse.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in old files
        tree = ast.parse(source)
    tokens = _tokens(source)
    visitor = _Roles(source.splitlines(keepends=True) or [""])
    visitor.visit(tree)
    roles = visitor.roles
    starts = {start: i for i, (_, _, start) in enumerate(tokens)}
    for start, name, role in visitor.definitions:
        # The name is the first token `name` after `def`/`class` from the node's start.
        i = starts[start]
        while not (tokens[i][0] == tokenize.NAME and tokens[i][1] == name
                   and tokens[i - 1][1] in ("def", "class")):
            i += 1
        roles[tokens[i][2]] = role
    in_import = _import_tokens(tokens, visitor.imports)

    sentences, words, labels, previous = [], [], [], None
    for i, (kind, text, start) in enumerate(tokens):
        if kind == tokenize.NEWLINE or kind == tokenize.ENDMARKER:
            if words:
                sentences.append((words, labels))
            words, labels, previous = [], [], None
            continue
        if kind in _SKIPPED or not text.strip():
            continue
        role, joins = roles.get(start), False
        if role is None and i in in_import:
            role, joins = "IMPORT", previous == ("IMPORT", i - 1)
        elif role is None and (kind in (tokenize.NUMBER, tokenize.STRING)
                               or text in _LITERAL_NAMES):
            role = "LITERAL"
            joins = kind == tokenize.STRING and previous == ("STRING", _last_kept(tokens, i))
        elif role is None and kind == tokenize.NAME and keyword.iskeyword(text):
            role = "KEYWORD"
        words.append(text)
        labels.append("O" if role is None else ("I-" if joins else "B-") + role)
        previous = (("STRING" if kind == tokenize.STRING else role), i) if role else None
    return sentences


def _last_kept(tokens, i: int) -> int:
    """Index of the token before `i` that a sentence keeps (NL and comments skipped)."""
    j = i - 1
    while j >= 0 and (tokens[j][0] in _SKIPPED and tokens[j][0] != tokenize.NEWLINE):
        j -= 1
    return j


def _import_tokens(tokens, spans) -> set[int]:
    """Indices of tokens inside import statements that belong to an IMPORT entity."""
    chosen = set()
    for begin, end in spans:
        run = []
        for i, (kind, text, start) in enumerate(tokens):
            if start < begin:
                continue
            if start >= end:
                break
            part = (kind == tokenize.NAME and not keyword.iskeyword(text)) or text in (".", "...")
            if part:
                run.append(i)
                continue
            if kind in (tokenize.NL, tokenize.COMMENT):
                continue
            if any(tokens[j][0] == tokenize.NAME for j in run):
                chosen.update(run)
            run = []
        if any(tokens[j][0] == tokenize.NAME for j in run):
            chosen.update(run)
    return chosen


def cut(sentences, max_length: int):
    """Sentences longer than `max_length` tokens cut into consecutive pieces."""
    out = []
    for words, labels in sentences:
        for i in range(0, len(words), max_length):
            out.append((words[i : i + max_length], labels[i : i + max_length]))
    return out


def stdlib_files(root: Path | None = None) -> list[Path]:
    """Candidate files (see the module docstring), sorted by path."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    files = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts[:-1]
        if EXCLUDED_DIRS & set(parts) or any(p.startswith("config-") for p in parts):
            continue
        if path.stat().st_size <= MAX_FILE_BYTES:
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def read_file(path: Path) -> list[tuple[list[str], list[str]]] | None:
    """Tagged logical lines of one file, or None when it cannot be read or parsed."""
    try:
        with tokenize.open(path) as f:  # honours the file's coding declaration
            source = f.read()
        return tag_source(source)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, tokenize.TokenError,
            KeyError, IndexError):
        return None


def load(n_files: int, seed: int, max_length: int, val_fraction: float = 0.1,
         test_fraction: float = 0.1, root: Path | None = None):
    """{split: [(tokens, tags)]} and {split: [file names]} from `n_files` stdlib files."""
    candidates = stdlib_files(root)
    base = Path(root or sysconfig.get_paths()["stdlib"])
    order = np.random.default_rng(seed).permutation(len(candidates))
    counts = dict(zip(("train", "val", "test"),
                      splits.split_sizes(n_files, val_fraction, test_fraction, at_least=1)))
    sentences = {split: [] for split in counts}
    names = {split: [] for split in counts}
    split_order = [s for s, n in counts.items() for _ in range(n)]
    for index in order:
        if len(split_order) == sum(len(v) for v in names.values()):
            break
        tagged = read_file(candidates[index])
        if not tagged:
            continue
        split = split_order[sum(len(v) for v in names.values())]
        names[split].append(candidates[index].relative_to(base).as_posix())
        sentences[split].extend(cut(tagged, max_length))
    return sentences, names
