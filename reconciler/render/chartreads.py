"""What a chart's templates read from ``.Values``: followed from the files Helm renders.

Every file under ``templates/`` whose name does not start with ``_`` is rendered by Helm;
the others only hold ``define`` blocks. Starting from each rendered file with ``.`` bound to
the chart's root context, the walk evaluates each pipeline *symbolically*: a value is the
root context, a path under ``.Values``, a ``dict``/``list`` built from such values, or
unknown. It follows

* field chains (``.Values.a.b``, ``$.Values.a``, ``$v.c`` after ``$v := .Values.a``);
* ``with .Values.x`` (``.`` becomes ``x`` in the body), ``range`` (``x`` is used whole);
* ``include``/``template``/``block`` into the named ``define`` with its argument as ``.``
  (and ``$``), including ``dict "k" .Values.x`` and ``list .Values.x $`` + ``index . 0``;
* any other function or printed output *consumes* its operands whole.

A path is *read* when a pipeline reaches it and *used whole* when it is consumed (printed,
passed to ``toYaml``, ``default``, ``join`` ...): anything below a wholly used path is
accepted (free-form), a path only tested (``if``, ``with``) or walked through is a map.
Defines that no rendered file reaches do not count: a key only they read is read by nothing.

Pure: template texts in, reads out; no Helm, no file access.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.render.gotemplate import Node, Pipeline, Template, TemplateSyntaxError, Term, parse


@dataclass(frozen=True)
class Root:
    """The chart's top-level context (``.Values``, ``.Release``, ``.Chart`` ...)."""


@dataclass(frozen=True)
class ValuesPath:
    path: tuple[str, ...]


@dataclass(frozen=True)
class DictOf:
    items: tuple[tuple[str, Sym], ...]


@dataclass(frozen=True)
class ListOf:
    items: tuple[Sym, ...]


@dataclass(frozen=True)
class Unknown:
    pass


Sym = Root | ValuesPath | DictOf | ListOf | Unknown
UNKNOWN = Unknown()
Scope = ChainMap[str, Sym]


@dataclass
class Reads:
    """Per path under ``.Values``: the rendered files that read it, and for a path used
    whole what used it (``output``, ``range`` or the function: ``toYaml``, ``default`` ...)."""

    read: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    uses: dict[tuple[str, ...], set[str]] = field(default_factory=dict)


def scan(files: Mapping[str, str]) -> Reads:
    """Reads of the chart whose template files are ``files`` (path under the chart -> text).
    Raises ``TemplateSyntaxError`` on a template the reader cannot follow."""
    templates = [parse(path, text) for path, text in sorted(files.items())]
    defines: dict[str, Node] = {}
    for template in templates:
        defines |= template.defines
    walker = _Walker(defines)
    for template in templates:
        if _rendered(template):
            walker.root = template.path
            walker.walk(template.nodes, dot=Root(), top=Root(), scope=ChainMap())
    if () in walker.reads.uses:
        raise TemplateSyntaxError("the chart uses .Values whole: its keys cannot be derived")
    return walker.reads


def _rendered(template: Template) -> bool:
    name = template.path.rsplit("/", 1)[-1]
    return template.path.startswith("templates/") and not name.startswith("_")


class _Walker:
    def __init__(self, defines: Mapping[str, Node]) -> None:
        self.defines = defines
        self.reads = Reads()
        self.root = ""
        self.seen: set[tuple[str, str, Sym]] = set()

    # ------------------------------------------------------------------ structure

    def walk(self, nodes: list[Node], *, dot: Sym, top: Sym, scope: Scope) -> None:
        scope = scope.new_child()  # variables declared in a block end with it
        for node in nodes:
            self.node(node, dot=dot, top=top, scope=scope)

    def node(self, node: Node, *, dot: Sym, top: Sym, scope: Scope) -> None:
        kind = node.kind
        if kind == "output":
            assert node.pipe is not None
            value = self.pipeline(node.pipe, dot=dot, top=top, scope=scope)
            if not node.pipe.decl:
                self.consume(value, "output")
        elif kind == "if":
            assert node.pipe is not None
            inner = scope.new_child()
            self.pipeline(node.pipe, dot=dot, top=top, scope=inner)
            self.walk(node.body, dot=dot, top=top, scope=inner)
            self.walk(node.orelse, dot=dot, top=top, scope=scope)
        elif kind == "with":
            assert node.pipe is not None
            inner = scope.new_child()
            value = self.pipeline(node.pipe, dot=dot, top=top, scope=inner)
            self.walk(node.body, dot=value, top=top, scope=inner)
            self.walk(node.orelse, dot=dot, top=top, scope=scope)
        elif kind == "range":
            assert node.pipe is not None
            inner = scope.new_child()
            value = self.pipeline(node.pipe, dot=dot, top=top, scope=inner, declare=False)
            self.consume(value, "range")  # every element, whatever it holds, is used
            for name in node.pipe.decl:
                inner[name] = UNKNOWN
            self.walk(node.body, dot=UNKNOWN, top=top, scope=inner)
            self.walk(node.orelse, dot=dot, top=top, scope=scope)
        elif kind in ("template", "block"):
            arg = (
                self.pipeline(node.pipe, dot=dot, top=top, scope=scope)
                if node.pipe is not None
                else UNKNOWN
            )
            if kind == "block":
                self.call_body(node.name, node.body, arg)
            else:
                self.call(node.name, arg)

    def call(self, name: str, arg: Sym) -> None:
        define = self.defines.get(name)
        if define is None:
            return  # Helm fails at render time; nothing is read
        self.call_body(name, define.body, arg)

    def call_body(self, name: str, body: list[Node], arg: Sym) -> None:
        key = (self.root, name, arg)
        if key in self.seen:
            return
        self.seen.add(key)
        self.walk(body, dot=arg, top=arg, scope=ChainMap())

    # ------------------------------------------------------------------ pipelines

    def pipeline(
        self,
        pipe: Pipeline,
        *,
        dot: Sym,
        top: Sym,
        scope: Scope,
        declare: bool = True,
    ) -> Sym:
        value: Sym | None = None
        for command in pipe.commands:
            value = self.command(command, piped=value, dot=dot, top=top, scope=scope)
        assert value is not None
        if declare and pipe.decl:
            for name in pipe.decl:
                new = value if len(pipe.decl) == 1 else UNKNOWN
                if pipe.assign:
                    self.assign(scope, name, new)
                else:
                    scope[name] = new
        return value

    def assign(self, scope: Scope, name: str, value: Sym) -> None:
        """``$x = ...``: in the block that declared ``$x``. Its earlier value may still be
        what a later read sees (the assignment sits in an ``if``): it counts as used whole."""
        for layer in scope.maps:
            if name in layer:
                self.consume(layer[name], "reassigned")
                layer[name] = value
                return
        scope[name] = value

    def command(
        self,
        terms: tuple[Term, ...],
        *,
        piped: Sym | None,
        dot: Sym,
        top: Sym,
        scope: Scope,
    ) -> Sym:
        head = terms[0]
        if head.kind != "ident" or head.text in ("nil", "true", "false"):
            if len(terms) > 1 or piped is not None:
                raise TemplateSyntaxError(f"{self.root}: cannot call {head.text!r}")
            return self.operand(head, dot=dot, top=top, scope=scope)
        args = [self.operand(t, dot=dot, top=top, scope=scope) for t in terms[1:]]
        if piped is not None:
            args.append(piped)
        return self.function(head.text, terms[1:], args)

    def function(self, name: str, terms: tuple[Term, ...], args: list[Sym]) -> Sym:
        if name in ("include", "template") and terms and terms[0].kind == "string":
            self.call(_unquote(terms[0].text), args[1] if len(args) > 1 else UNKNOWN)
            return UNKNOWN
        if name == "dict" and all(t.kind == "string" for t in terms[0::2]):
            keys = [_unquote(t.text) for t in terms[0::2]]
            return DictOf(tuple(zip(keys, args[1::2], strict=False)))
        if name == "list":
            return ListOf(tuple(args))
        if name == "index" and args:
            return self.index(args[0], terms[1:], args[1:])
        for arg in args:
            self.consume(arg, name)
        return UNKNOWN

    def index(self, base: Sym, terms: tuple[Term, ...], args: list[Sym]) -> Sym:
        value = base
        for term in terms:
            if isinstance(value, ListOf) and term.kind == "number" and term.text.isdigit():
                n = int(term.text)
                value = value.items[n] if n < len(value.items) else UNKNOWN
            elif isinstance(value, ValuesPath | Root | DictOf) and term.kind == "string":
                value = self.field(value, _unquote(term.text))
            else:
                for item in (value, *args):
                    self.consume(item, "index")
                return UNKNOWN
        return value

    def operand(self, term: Term, *, dot: Sym, top: Sym, scope: Scope) -> Sym:
        if term.kind == "pipe":
            assert term.pipe is not None
            return self.pipeline(term.pipe, dot=dot, top=top, scope=scope)
        if term.kind == "field":
            return self.fields(dot, term.text)
        if term.kind == "var":
            name, _, rest = term.text.partition(".")
            base = top if name == "$" else scope.get(name, UNKNOWN)
            return self.fields(base, "." + rest if rest else ".")
        return UNKNOWN  # literals, niladic functions (list, dict without arguments)

    def fields(self, base: Sym, chain: str) -> Sym:
        value = base
        for name in [part for part in chain.split(".") if part]:
            value = self.field(value, name)
        return value

    def field(self, base: Sym, name: str) -> Sym:
        value: Sym
        if isinstance(base, Root):
            value = ValuesPath(()) if name == "Values" else UNKNOWN
        elif isinstance(base, ValuesPath):
            value = ValuesPath((*base.path, name))
        elif isinstance(base, DictOf):
            value = dict(base.items).get(name, UNKNOWN)
        else:
            value = UNKNOWN
        if isinstance(value, ValuesPath) and value.path:
            self.reads.read.setdefault(value.path, set()).add(self.root)
        return value

    def consume(self, value: Sym, how: str) -> None:
        if isinstance(value, ValuesPath):
            self.reads.uses.setdefault(value.path, set()).add(how)
        elif isinstance(value, DictOf):
            for _, item in value.items:
                self.consume(item, how)
        elif isinstance(value, ListOf):
            for item in value.items:
                self.consume(item, how)


def _unquote(text: str) -> str:
    if text[:1] == "`":
        return text[1:-1]
    return bytes(text[1:-1], "utf-8").decode("unicode_escape")
