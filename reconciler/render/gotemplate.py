"""A reader of Go templates (Helm's template language) into a small syntax tree.

Enough of ``text/template`` to follow what a chart's templates read from ``.Values``
(``render.chartreads``): actions, comments, trim markers, string literals (a ``}}`` inside
one does not end the action), pipelines with declarations, parenthesised commands, and the
control structures ``if``/``else if``/``with``/``else with``/``range``/``define``/``block``.
It does not evaluate anything. A construct it cannot read is a ``TemplateSyntaxError``
naming ``file:line``, so the key derivation fails loudly rather than guessing.

Pure: text in, tree out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reconciler.errors import RenderError


class TemplateSyntaxError(RenderError):
    """A template the reader does not understand (``file:line: message``)."""


# --------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Term:
    """One operand: ``kind`` is string, number, field (``.a.b``), var (``$x.a``), ident
    (function, ``nil``, ``true``) or pipe (a parenthesised pipeline in ``pipe``)."""

    kind: str
    text: str
    pipe: Pipeline | None = None


@dataclass(frozen=True)
class Pipeline:
    #: Variables declared (``:=``) or assigned (``=``), and which it was.
    decl: tuple[str, ...]
    assign: bool
    #: Commands joined by ``|``; each a list of operands, the first maybe a function.
    commands: tuple[tuple[Term, ...], ...]


@dataclass
class Node:
    """An action (``kind`` "output") or a control structure with its bodies."""

    kind: str  # output, if, with, range, define, block, template
    line: int
    pipe: Pipeline | None = None
    name: str = ""  # define/block/template name
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)
    #: An "else if" / "else with": closed by the "end" of the structure it continues.
    chained: bool = False


@dataclass
class Template:
    """One file: its top-level nodes and the ``define`` blocks it holds."""

    path: str
    nodes: list[Node]
    defines: dict[str, Node]


# --------------------------------------------------------------------------- lexing


def _actions(text: str, path: str) -> list[tuple[int, str]]:
    """(line, body) of every ``{{ }}`` action that is not a comment, trim markers removed."""
    out: list[tuple[int, str]] = []
    i = 0
    while (start := text.find("{{", i)) >= 0:
        j = start + 2
        if text.startswith("- ", j) or text.startswith("-\t", j) or text.startswith("-\n", j):
            j += 1
        line = text.count("\n", 0, start) + 1
        stripped = len(text[j:]) - len(text[j:].lstrip())
        if text.startswith("/*", j + stripped):
            close = text.find("*/", j + stripped)
            end = text.find("}}", close) if close >= 0 else -1
            if end < 0:
                raise TemplateSyntaxError(f"{path}:{line}: unclosed comment")
            i = end + 2
            continue
        end = _action_end(text, j, path, line)
        body = text[j:end]
        if body.endswith(" -") or body.endswith("\t-") or body.endswith("\n-"):
            body = body[:-1]
        out.append((line, body.strip()))
        i = end + 2
    return out


def _action_end(text: str, j: int, path: str, line: int) -> int:
    quote = ""
    k = j
    while k < len(text):
        c = text[k]
        if quote:
            if c == "\\" and quote != "`":
                k += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"`'":
            quote = c
        elif text.startswith("}}", k):
            return k
        k += 1
    raise TemplateSyntaxError(f"{path}:{line}: unclosed action")


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:\\.|[^"\\])*"|`[^`]*`|'(?:\\.|[^'\\])')
    | (?P<decl>:=)
    | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
    | (?P<number>-?[0-9][0-9.eExXa-fA-F_]*)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[()|,=])
    )""",
    re.VERBOSE,
)


def _tokens(body: str, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        match = _TOKEN.match(body, pos)
        if match is None or match.end() == pos:
            raise TemplateSyntaxError(f"{where}: cannot read {body[pos:].strip()[:30]!r}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


# --------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], where: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.where = where

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def pipeline(self) -> Pipeline:
        decl: list[str] = []
        assign = False
        # "$a := ..." / "$a, $b := ..." / "$a = ..."
        k = self.i
        names: list[str] = []
        while k < len(self.tokens) and self.tokens[k][0] == "var":
            names.append(self.tokens[k][1])
            k += 1
            if k < len(self.tokens) and self.tokens[k] == ("punct", ","):
                k += 1
                continue
            break
        if names and k < len(self.tokens) and self.tokens[k] in (("decl", ":="), ("punct", "=")):
            decl, assign, self.i = names, self.tokens[k][1] == "=", k + 1
        commands: list[tuple[Term, ...]] = []
        while True:
            commands.append(self.command())
            if self.peek() == ("punct", "|"):
                self.i += 1
                continue
            break
        return Pipeline(tuple(decl), assign, tuple(commands))

    def command(self) -> tuple[Term, ...]:
        terms: list[Term] = []
        while (tok := self.peek()) is not None and tok not in (("punct", "|"), ("punct", ")")):
            self.i += 1
            kind, text = tok
            if tok == ("punct", "("):
                inner = self.pipeline()
                if self.peek() != ("punct", ")"):
                    raise TemplateSyntaxError(f"{self.where}: unclosed '('")
                self.i += 1
                terms.append(Term("pipe", "(...)", inner))
            elif kind in ("string", "number", "field", "var", "ident"):
                terms.append(Term(kind, text))
            else:
                raise TemplateSyntaxError(f"{self.where}: unexpected {text!r}")
        if not terms:
            raise TemplateSyntaxError(f"{self.where}: empty command")
        return tuple(terms)


def _pipe(body: str, where: str) -> Pipeline:
    parser = _Parser(_tokens(body, where), where)
    pipe = parser.pipeline()
    if parser.peek() is not None:
        raise TemplateSyntaxError(f"{where}: unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return pipe


_CONTROL = re.compile(r"^(if|with|range|define|block|template|else|end|break|continue)\b\s*")


def parse(path: str, text: str) -> Template:
    """The tree of one template file. Raises ``TemplateSyntaxError``."""
    root = Node("root", 0)
    stack: list[tuple[Node, bool]] = [(root, False)]  # (node, in its else branch)
    defines: dict[str, Node] = {}

    def add(node: Node) -> None:
        parent, in_else = stack[-1]
        (parent.orelse if in_else else parent.body).append(node)

    for line, body in _actions(text, path):
        where = f"{path}:{line}"
        match = _CONTROL.match(body)
        word = match.group(1) if match else ""
        rest = body[match.end() :] if match else body
        if word in ("if", "with", "range"):
            node = Node(word, line, pipe=_pipe(rest, where))
            add(node)
            stack.append((node, False))
        elif word in ("define", "block", "template"):
            name_match = re.match(r'"((?:\\.|[^"\\])*)"\s*', rest)
            if name_match is None:
                raise TemplateSyntaxError(f"{where}: {word} needs a quoted name")
            arg = rest[name_match.end() :]
            node = Node(word, line, name=name_match.group(1))
            node.pipe = _pipe(arg, where) if arg else None
            if word == "define":
                defines[node.name] = node
            else:
                add(node)
            if word != "template":
                stack.append((node, False))
        elif word == "else":
            parent, in_else = stack[-1]
            if parent.kind not in ("if", "with", "range") or in_else:
                raise TemplateSyntaxError(f"{where}: 'else' outside if/with/range")
            stack[-1] = (parent, True)
            chained = _CONTROL.match(rest)
            if chained and chained.group(1) in ("if", "with"):
                # "else if" / "else with": a nested structure closed by the same "end".
                node = Node(chained.group(1), line, pipe=_pipe(rest[chained.end() :], where))
                node.chained = True
                parent.orelse.append(node)
                stack.append((node, False))
        elif word == "end":
            while True:
                if len(stack) == 1:
                    raise TemplateSyntaxError(f"{where}: 'end' without a block")
                node, _ = stack.pop()
                if not node.chained:
                    break
        elif word in ("break", "continue"):
            continue
        else:
            add(Node("output", line, pipe=_pipe(body, where)))
    if len(stack) != 1:
        open_node = stack[-1][0]
        raise TemplateSyntaxError(f"{path}:{open_node.line}: {open_node.kind} never ends")
    return Template(path, root.body, defines)
