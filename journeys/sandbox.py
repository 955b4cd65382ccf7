"""The Jinja2 sandbox that every journey expression and message template runs in.

Jinja2's `ImmutableSandboxedEnvironment` blocks dunder access, mutation of lists and
dicts, and ranges above 100,000 items, but nothing stops `"a" * 10**9`, `2 ** 10**9`,
`"{:>999999999}".format(1)` or a loop that doubles a string: a hostile or careless
expression could eat a worker's memory (architecture decision 4). This module closes those
doors so they fail fast with an `ExpressionError`:

- operators are intercepted (`call_binop`) and refuse results above the limits below;
- every call (`call`), filter and `str.format` checks its arguments and, for the few that
  can grow a string (`center`, `replace`, `join`, ...), the size of the result in advance;
- templates are rewritten before compilation: loops, calls and operators draw on a step
  budget, produced output on an output budget, and values stored with `{% set %}` or
  built with `~` are size-checked.

The budget lives in a `ContextVar` set for one evaluation (`budget_scope`), so templates
cannot reach it and evaluations running side by side do not share it.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.runtime import Context, Macro, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

MAX_LENGTH = 100_000  # characters of a string / items of a list built by an operation
MAX_WEIGHT = 1_000_000  # items + characters reachable from a value passed or stored
MAX_OUTPUT = 1_000_000  # characters produced by one template rendering
MAX_STEPS = 100_000  # loop iterations + calls + operators in one evaluation
MACRO_CALL_STEPS = 10  # a macro call costs about ten plain steps
MAX_INT_BITS = 4_096  # size of integers built by `*` and `**`
MAX_SEQUENCE_SUM = 1_000  # items of `sum(start=[])`, which copies quadratically
WALK_STEPS_PER_CHARGE = 10  # walking a value this big costs one step

ITER, CONCAT, GUARD = "_wl_iter", "_wl_concat", "_wl_guard"
RESERVED_PREFIX = "_wl"


class ExpressionError(Exception):
    """An expression or template that does not compile or cannot be evaluated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LimitError(ExpressionError):
    """A resource limit was hit: the expression would use too much memory or time."""


class Budget:
    """Steps and output characters spent by one evaluation."""

    __slots__ = ("output", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.output = 0

    def spend(self, steps: int, output: int) -> None:
        self.steps += steps
        self.output += output
        if self.steps > MAX_STEPS:
            raise LimitError(f"too much work: more than {MAX_STEPS:,} loop steps and operations")
        if self.output > MAX_OUTPUT:
            raise LimitError(f"output too large: more than {MAX_OUTPUT:,} characters")


_BUDGET: ContextVar[Budget | None] = ContextVar("wayline_expression_budget", default=None)


class budget_scope:  # lower case: used like the function it replaced
    """A fresh budget for the evaluation run inside the `with` block.

    A class rather than `@contextmanager`: every template render enters one, and the
    generator machinery cost more than the budget itself (three renders per email).
    """

    __slots__ = ("_token", "budget")

    def __enter__(self) -> Budget:
        self.budget = Budget()
        self._token = _BUDGET.set(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _BUDGET.reset(self._token)


def charge(steps: int = 1, output: int = 0) -> None:
    """Spend from the current evaluation's budget (no budget: only size checks apply)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(steps, output)


# --- sizes -------------------------------------------------------------------------------


def _children(item: Any) -> list[Any] | tuple[Any, ...] | None:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, list | tuple):
        return item
    if isinstance(item, set | frozenset):
        return list(item)
    if isinstance(item, Namespace):
        return [item._Namespace__attrs]
    return None


_CONTAINERS = (dict, list, tuple, set, frozenset, Namespace)


def _split(item: Any, children: Iterable[Any]) -> tuple[int, list[Any]]:
    """The size of `item` itself and of its leaf children, and its container children."""
    own = 0 if isinstance(item, Namespace) else len(item)
    nested = []
    for child in children:
        if isinstance(child, str | bytes):
            own += len(child)
        elif isinstance(child, _CONTAINERS):
            nested.append(child)
        else:
            own += 1
    return own, nested


def weight(value: Any, limit: int = MAX_WEIGHT) -> int:
    """Items and characters reachable from `value`, shared parts counted every time.

    Counting shared parts again is the point: `[l, l]` prints `l` twice, so a value built
    by nesting itself in a loop is as big as its printed form. Each distinct container is
    expanded once (sizes are memoised by identity), so measuring takes time proportional
    to the objects that really exist. Capped at `limit + 1`.
    """
    top = _children(value)
    if top is None:
        return len(value) if isinstance(value, str | bytes) else 1
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, tuple[int, list[Any]] | None]] = [(value, None)]
    while stack:
        item, split = stack.pop()
        key = id(item)
        if split is not None:
            inner = sum(sizes.get(id(child), 1) for child in split[1])  # a cycle counts once
            sizes[key] = min(limit + 1, split[0] + inner)
            active.discard(key)
        elif key not in sizes and key not in active:
            split = _split(item, _children(item) or ())
            active.add(key)
            stack.append((item, split))
            stack.extend((child, None) for child in split[1])
    return sizes[id(value)]


def check_weight(values: Iterable[Any]) -> None:
    """Refuse arguments too big to print, compare or store; walking them costs steps."""
    for value in values:
        if isinstance(value, int | float | bool | str) or value is None:
            continue
        size = weight(value)
        charge(steps=size // WALK_STEPS_PER_CHARGE)
        if size > MAX_WEIGHT:
            raise LimitError(f"value too large: more than {MAX_WEIGHT:,} items and characters")


def check_length(size: int, limit: int = MAX_LENGTH, what: str = "result") -> None:
    """Refuse a (predicted) size above `limit`."""
    if size > limit:
        raise LimitError(f"{what} too large: {size:,} items or characters (limit {limit:,})")


def check_int_bits(bits: int) -> None:
    """Refuse an integer of about `bits` bits before computing it (`2 ** 10**9`)."""
    if bits > MAX_INT_BITS:
        raise LimitError(f"number too large: about {bits:,} bits (limit {MAX_INT_BITS:,})")


def bounded_list(values: Iterable[Any]) -> list[Any]:
    """Materialise an iterable, refusing more than MAX_LENGTH items."""
    if isinstance(values, list):
        return values
    items = []
    for item in values:
        items.append(item)
        check_length(len(items))
    return items


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- operators -----------------------------------------------------------------------------


def _check_mul(left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        check_int_bits(left.bit_length() + right.bit_length())
        return
    seq, count = (left, right) if _is_int(right) else (right, left)
    if not _is_int(count) or count <= 0 or not isinstance(seq, str | bytes | list | tuple):
        return
    check_length(len(seq) * count)
    if isinstance(seq, list | tuple):
        check_length(weight(seq) * count, MAX_WEIGHT)


def _check_add(left: Any, right: Any) -> None:
    for kind in (str, bytes, list, tuple):
        if isinstance(left, kind) and isinstance(right, kind):
            check_length(len(left) + len(right))
            if kind in (list, tuple):
                check_length(weight(left) + weight(right), MAX_WEIGHT)


def _check_pow(base: Any, exponent: Any) -> None:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        check_int_bits(base.bit_length() * exponent)


def check_printf(fmt: str, args: Any) -> None:
    """`fmt % args`: no `*` widths, no huge widths, no huge arguments."""
    if "*" in fmt:
        raise LimitError("'*' widths are not allowed in % formatting")
    _check_format_numbers(fmt)
    check_weight([args])


def check_format_string(fmt: str) -> None:
    """`fmt.format(...)`: no nested replacement fields in specs, no huge widths."""
    for _, _, spec, _ in string.Formatter().parse(fmt):
        if spec and "{" in spec:
            raise LimitError("nested replacement fields are not allowed in format specs")
    _check_format_numbers(fmt)


def _check_format_numbers(fmt: str) -> None:
    digits = "".join(c if c.isdigit() else " " for c in fmt).split()
    if any(len(run) > 6 or int(run) > MAX_LENGTH for run in digits):
        raise LimitError(f"format width or precision too large (limit {MAX_LENGTH:,})")


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would exceed the limits, before computing it."""
    if operator == "*":
        _check_mul(left, right)
    elif operator == "+":
        _check_add(left, right)
    elif operator == "**":
        _check_pow(left, right)
    elif operator == "%" and isinstance(left, str):
        check_printf(left, right)


# --- calls and filters ---------------------------------------------------------------------


def _arg(args: list[Any], kwargs: dict[str, Any], index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _text(value: Any) -> str | bytes:
    return value if isinstance(value, str | bytes) else str(value)


def _replace_size(text: str | bytes, old: Any, new: Any, count: Any) -> int:
    old_t, new_t = _text(old), _text(new)
    hits = text.count(old_t) if old_t else len(text) + 1  # type: ignore[arg-type]
    if _is_int(count) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new_t) - len(old_t), 0)


def _check_str_method(owner: str | bytes, name: str, args: list[Any], kw: dict[str, Any]) -> None:
    """Size of `owner.<name>(...)` for the methods that can grow a string, in advance."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = _arg(args, kw, 0, "width", 0)
        if _is_int(width):
            check_length(width)
    elif name == "expandtabs":
        size = _arg(args, kw, 0, "tabsize", 8)
        if _is_int(size):
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            check_length(len(owner) + tabs * size)
    elif name == "join" and args:
        args[0] = bounded_list(args[0])
        parts = sum(len(p) for p in args[0] if isinstance(p, str | bytes))
        check_length(parts + len(owner) * max(len(args[0]) - 1, 0))
    elif name == "replace" and len(args) >= 2:
        check_length(_replace_size(owner, args[0], args[1], _arg(args, kw, 2, "count", -1)))


def _estimate_center(args: list[Any], kw: dict[str, Any]) -> None:
    width = _arg(args, kw, 1, "width", 80)
    if _is_int(width):
        check_length(width)


def _estimate_indent(args: list[Any], kw: dict[str, Any]) -> None:
    width = _arg(args, kw, 1, "width", 4)
    pad = len(width) if isinstance(width, str) else width if _is_int(width) else 0
    text = _text(args[0]) if args else ""
    check_length(len(text) + (text.count("\n") + 1) * pad)  # type: ignore[arg-type]


def _estimate_join(args: list[Any], kw: dict[str, Any]) -> None:
    if args:
        args[0] = bounded_list(args[0])
        sep = _text(_arg(args, kw, 1, "d", ""))
        check_length(weight(args[0]) + len(sep) * max(len(args[0]) - 1, 0), MAX_WEIGHT)


def _estimate_replace(args: list[Any], kw: dict[str, Any]) -> None:
    if len(args) >= 3:
        check_length(
            _replace_size(_text(args[0]), args[1], args[2], _arg(args, kw, 3, "count", -1))
        )


def _estimate_format(args: list[Any], kw: dict[str, Any]) -> None:
    if args:
        check_printf(str(_text(args[0])), [*args[1:], *kw.values()])


def _estimate_wordwrap(args: list[Any], kw: dict[str, Any]) -> None:
    width, wrap = _arg(args, kw, 1, "width", 79), _arg(args, kw, 3, "wrapstring", None)
    if not args or not _is_int(width):
        return
    text = str(_text(args[0]))
    lines = len(text.split()) + len(text) // max(width, 1) + text.count("\n") + 1
    check_length(len(text) + lines * (len(wrap) if isinstance(wrap, str) else 1))


def _estimate_batch(args: list[Any], kw: dict[str, Any]) -> None:
    count = _arg(args, kw, 1, "linecount", 0)
    if _is_int(count):
        check_length(count)


def _estimate_slice(args: list[Any], kw: dict[str, Any]) -> None:
    count = _arg(args, kw, 1, "slices", 0)
    if _is_int(count):
        check_length(count)


def _estimate_sum(args: list[Any], kw: dict[str, Any]) -> None:
    if args:
        args[0] = bounded_list(args[0])
        if isinstance(_arg(args, kw, 2, "start", 0), str | list | tuple):
            check_length(len(args[0]), MAX_SEQUENCE_SUM, "sum of sequences")


_Estimate = Callable[[list[Any], dict[str, Any]], None]
_FILTER_ESTIMATES: dict[str, _Estimate] = {
    "center": _estimate_center,
    "indent": _estimate_indent,
    "join": _estimate_join,
    "replace": _estimate_replace,
    "format": _estimate_format,
    "wordwrap": _estimate_wordwrap,
    "batch": _estimate_batch,
    "slice": _estimate_slice,
    "sum": _estimate_sum,
}
# Filters that only look at the top level of their input: no need to walk it.
_SHALLOW_FILTERS = frozenset(
    {"length", "count", "first", "last", "default", "d", "batch", "slice", "map", "select",
     "reject", "selectattr", "rejectattr", "items", "attr", "int", "float", "abs", "round",
     "list"}
)  # fmt: skip
_IMPURE_FILTERS = ("random",)  # randomness has no place in a deterministic workflow


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a builtin filter with its size checks (keeps Jinja's pass_* marker)."""
    estimate = _FILTER_ESTIMATES.get(name)
    deep = name not in _SHALLOW_FILTERS
    skip = 1 if hasattr(func, "jinja_pass_arg") else 0

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        rest = list(args[skip:])
        charge()
        if estimate is not None:
            estimate(rest, kwargs)
        if deep:
            check_weight([*rest, *kwargs.values()])
        return func(*args[:skip], *rest, **kwargs)

    return guarded


# --- helpers the rewritten templates call --------------------------------------------------


def guarded_iter(iterable: Iterable[Any], literal_chars: int = 0) -> Iterator[Any]:
    """Every loop iterates through this: a step and the body's literal text per item."""
    for item in iterable:
        charge(output=literal_chars)
        yield item


def _guard(value: Any) -> Any:
    """Wraps `{% set %}` values: the checks are done by `SafeEnvironment.call`."""
    return value


def _concat(join: Callable[[Iterable[Any]], str]) -> Callable[..., str]:
    def concat(*parts: Any) -> str:
        check_length(sum(weight(part) for part in parts))
        return join(parts)

    return concat


def _finalize(value: Any) -> Any:
    """Every `{{ ... }}` output: charged by its size before it is turned into text."""
    size = len(value) if isinstance(value, str) else weight(value)
    charge(steps=size // WALK_STEPS_PER_CHARGE, output=size)
    return value


# --- rewriting the template tree -----------------------------------------------------------


def _call(name: str, *args: nodes.Node, lineno: int) -> nodes.Call:
    return nodes.Call(
        nodes.Name(name, "load", lineno=lineno), list(args), [], None, None, lineno=lineno
    )


def _literals(node: nodes.Node) -> Iterator[nodes.TemplateData]:
    if isinstance(node, nodes.TemplateData):
        yield node
    yield from node.find_all(nodes.TemplateData)


class _Guards(NodeTransformer):
    """Routes loops, `~` and `{% set %}` through the guards above."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        literal = sum(len(data.data) for n in node.body for data in _literals(n))
        node.iter = _call(ITER, node.iter, nodes.Const(literal), lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call(CONCAT, *node.nodes, lineno=node.lineno)

    def visit_Assign(self, node: nodes.Assign) -> nodes.Node:
        self.generic_visit(node)
        node.node = _call(GUARD, node.node, lineno=node.lineno)
        return node

    def visit_With(self, node: nodes.With) -> nodes.Node:
        self.generic_visit(node)
        node.values = [_call(GUARD, value, lineno=node.lineno) for value in node.values]
        return node


def guard_tree(tree: nodes.Template) -> nodes.Template:
    """Refuse reserved names, then rewrite the tree so that it runs under the limits."""
    for name in tree.find_all(nodes.Name):
        if name.name.startswith(RESERVED_PREFIX):
            raise ExpressionError(f"names starting with {RESERVED_PREFIX!r} are reserved")
    guarded = _Guards().visit(tree)
    assert isinstance(guarded, nodes.Template)
    return guarded


# --- the environment -----------------------------------------------------------------------


class SafeEnvironment(ImmutableSandboxedEnvironment):
    """Immutable sandbox, strict undefined, no constant folding, every operator guarded.

    `optimized=False` matters: Jinja's optimizer would evaluate constant sub-expressions
    such as `"a"|center(10**9)` at compile time, i.e. while a definition is validated.
    """

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, *, autoescape: bool, helpers: dict[str, Any]) -> None:
        super().__init__(
            undefined=StrictUndefined, autoescape=autoescape, optimized=False, finalize=_finalize
        )
        self.globals.pop("lipsum", None)  # n=10**9 paragraphs; nobody needs lorem ipsum
        self.filters = {
            name: guard_filter(name, func)
            for name, func in self.filters.items()
            if name not in _IMPURE_FILTERS
        }
        self.globals.update(helpers)
        join = markup_join if autoescape else str_join
        self.globals.update({ITER: guarded_iter, CONCAT: _concat(join), GUARD: _guard})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Every operator: one step, and a size check before computing."""
        charge()
        check_binop(operator, left, right)
        return self.binop_table[operator](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call: steps, argument sizes, growing str methods, result size."""
        charge(MACRO_CALL_STEPS if isinstance(__obj, Macro) else 1)
        if __obj is not guarded_iter:
            check_weight([*args, *kwargs.values()])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | bytes):
            checked = list(args)
            _check_str_method(owner, getattr(__obj, "__name__", ""), checked, kwargs)
            args = tuple(checked)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str | bytes | list | tuple):
            check_length(len(result), MAX_OUTPUT)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format`: Jinja sandboxes attribute access; we also refuse huge widths."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            check_format_string(fmt)
            check_weight([*args, *kwargs.values()])
            return wrapped(*args, **kwargs)

        return checked
