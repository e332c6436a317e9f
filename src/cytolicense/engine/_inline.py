"""A rule's usual case, and a rule itself, written into the generated check of an
assignment, not called.

The check of an assignment (:meth:`Engine._assign_check`) asks each rule's declared
usual case (:attr:`RuleSpec.usual`) once; a Python call costs about as much as the
comparisons of a usual case, so each one that can be is copied into the generated
function's body instead. The copy is made from the function's own source, so there
is one text of each usual case: the function a test calls is the code the check runs.

A usual case is copied when it is a plain module-level function of five positional
parameters ``(client, req, today, plan, pool)`` whose source is at hand and compiles
to exactly the function's code (so a file edited since import, or a decorator that
returned another function, is not copied; one that returned the function is fine), built
of assignments, ``if``, ``for``, ``assert``, ``raise`` and ``return`` (no
``while``, ``try``, ``with``, nested functions, lambdas or ``global``), that never
assigns a parameter and returns from a ``for`` loop only at the loop's own level.
(An ``assert`` or ``raise`` in a copy raises where the function would: a usual case
that raises counts as false, a rule that raises is called to raise its own error.)
Anything else is called, as before: copying is an optimisation, never a change of
answer.

What the copy keeps of the function:

- its answer's truthiness, and an exception in it counting as false (the copy runs
  in ``try``);
- its names: parameters become the generated function's (``client``, ``op``,
  ``today``, ``plan``, ``pool``), locals are renamed apart per rule, and each global
  or builtin it reads is bound once, to the value it has when the check is built;
- ``plan.<attribute>``: read once, when the check is built (a
  :class:`~cytolicense.core._rulespec.ProductPlan` is never changed once made).

Early returns become ``if``/``else`` (what follows goes in the branch that does not
return) and a return inside a loop becomes ``break`` with what follows the loop in
its ``else``: straight-line code, no flag, no wrapper loop. ``a, b = x, y`` becomes
one assignment per name where no value reads a name assigned. A usual case that runs
straight to its one answer gives that answer's expression as its test
(:attr:`Inlined.test`), so the check asks ``if <answer>:`` without storing it; a
rule's ``return []`` is copied as ``()`` (the check only asks whether it is empty),
and a rule run last has its empty answers made ``return none`` (:attr:`Inlined.tail`).
What the check knows is folded: a local given a parameter or a constant once, and
read only after, is read as it; ``x is None`` of what is never ``None`` where a copy
runs (the request, client, day, plan, catalog, tables), ``==`` of two plain
constants and an ``if`` of a constant become what they always are.

A rule itself (:attr:`RuleSpec.check`, a vendor's rule above all) is copied the same
way when the generated check must run it (its usual case does not hold, or it
declares none): a plain module-level function of one positional parameter, the
context, that reads the context only as ``ctx.<field>``. Each field is what the
generated check already holds (:data:`CONTEXT`: ``ctx.request`` is the request,
``ctx.plan`` the plan, ``ctx.maintenance`` is ``None``), so no
:class:`~cytolicense.RuleContext` is made unless a rule that is called needs
one. A rule that passes its context on, sets a field, or reads one this module does
not know is called. The copy's answer is the rule's: the check wraps it so that
when the copy raises, the rule is called on a real context and its own exception
(with its own traceback) is what goes on.

Reading, checking and rewriting a source takes about a millisecond, so it is done
once per function (a memo, held while the function lives and checked against the
function's code at each read); each check built from it only numbers the names and
reads the values (a few microseconds).
"""

from __future__ import annotations
import __future__

import ast
import builtins
import inspect
import linecache
import textwrap
import types
import weakref
from collections.abc import Callable
from typing import Any

ARGS = ("client", "op", "today", "plan", "pool")
"""The generated check's names for a usual case's five parameters, in order."""

CONTEXT: dict[str, str] = {
    "operation": "'assign'",
    "catalog": "catalog",
    "client": "client",
    "request": "op",
    "product": "product",
    "maintenance": "None",
    "today": "today",
    "op": "op",
    "pool": "pool",
    "plan": "plan",
    "tables": "tables",
    "period": "op.period",
    "excluded": "no_ids",
}
"""Each :class:`~cytolicense.RuleContext` field of an assignment's check -> the
expression of the generated check that holds it (the context it would make is
``RuleContext(*CONTEXT.values())``, in field order)."""

NONE = "none"
"""The generated check's name for the decision that found nothing (what a rule's
:attr:`Inlined.tail` returns)."""

_PARAMETERS = ("client", "op", "today", "pool")
"""The generated check's own parameters (the names a copy reads as fast locals)."""

_HELD = {"catalog", "client", "op", "today", "plan", "tables", "no_ids"}
"""The generated check's names that never hold ``None`` where a copy runs (a copy is
made only for a product's plan): ``name is None`` is copied as ``False``."""

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

_REFUSED = (
    ast.AsyncFor,
    ast.AsyncFunctionDef,
    ast.AsyncWith,
    ast.Await,
    ast.ClassDef,
    ast.Delete,
    ast.FunctionDef,
    ast.Global,
    ast.Import,
    ast.ImportFrom,
    ast.Lambda,
    ast.Match,
    ast.Nonlocal,
    ast.Try,
    ast.TryStar,
    ast.While,
    ast.With,
    ast.Yield,
    ast.YieldFrom,
)


class NotInlinable(Exception):
    """This usual case is called, not copied (the message says why)."""


class Inlined:
    """One usual case or rule, copied: the lines that set its result name, and the
    values of the names those lines read. A usual case's *lines* run in ``try`` (an
    exception sets the result false). For a caller that runs several in one ``try``
    of its own and only asks whether each holds, its *body* is the lines to run
    without that ``try`` and *test* the expression that then tells (the result
    name, or, for a usual case that runs straight to its one answer, that answer's
    expression, so that no result is stored). A rule's *lists* is true when its
    every answer is a list or tuple display (so its answer is a list or a tuple: an
    empty one needs no look). A rule's *tail* is its lines for a caller that runs it
    last, with nothing found so far: each empty answer (``()``) is ``return none``
    (:data:`NONE`), every other answer sets the result."""

    __slots__ = ("body", "lines", "lists", "names", "result", "tail", "test")

    def __init__(
        self,
        lines: list[str],
        names: dict[str, Any],
        result: str,
        body: list[str] | None = None,
        lists: bool = False,
        test: str | None = None,
        tail: list[str] | None = None,
    ) -> None:
        self.lines = lines
        self.names = names
        self.result = result
        self.body = lines if body is None else body
        self.lists = lists
        self.test = result if test is None else test
        self.tail = lines if tail is None else tail


def inline_usual(func: Callable[..., Any], k: int, plan: Any) -> Inlined:
    """The lines that set ``s{k}`` as ``bool(func(client, op, today, plan, pool))``
    would (false when it raises), for *plan*.

    The source is read, checked and rewritten once per function (kept while the
    function lives); each check built from it only renames and binds.

    Raises:
        NotInlinable: *func* is not a function this module can copy; call it.
    """
    return _USUAL.inline(func, k, plan)


def inline_rule(func: Callable[..., Any], k: int, plan: Any) -> Inlined:
    """The lines that set ``f{k}`` as ``func(ctx)`` would, for an assignment's context
    on *plan* (its fields read as :data:`CONTEXT` says), without making the context.

    The lines may raise where the rule would: the generated check runs them in
    ``try`` and, when they raise, calls the rule on a real context, so that what goes
    on is the rule's own exception.

    Raises:
        NotInlinable: *func* is not a function this module can copy; call it.
    """
    return _RULE.inline(func, k, plan)


_K = "__K__"
"""Where the rule's number goes in a template's names (never in a copied source)."""


class _Template:
    """A function's body rewritten, its names numbered by :data:`_K`: the lines, the
    global or builtin each bound name stands for, and the plan's attributes read."""

    __slots__ = ("head", "lines", "lists", "names", "plan_attributes", "tail", "test")

    def __init__(
        self,
        lines: list[str],
        names: dict[str, str],
        plan_attributes: set[str],
        lists: bool,
        straight: tuple[list[str], str] | None = None,
        tail: list[str] | None = None,
    ):
        self.lines, self.names, self.plan_attributes = lines, names, plan_attributes
        self.lists = lists
        self.tail = lines if tail is None else tail  # a rule's, run last (Inlined.tail)
        # A body that runs straight to its one answer: the lines before it, and the
        # answer's expression.
        self.head: list[str] = lines if straight is None else straight[0]
        self.test: str | None = None if straight is None else straight[1]


class _Kind:
    """What is copied: a usual case (five parameters, its answer's truth as ``s{k}``, an
    exception counting as false) or a rule (the context, its answer as ``f{k}``).

    Each kind numbers its names with its own letters (result, locals, globals), so a
    rule's usual case and the rule itself can be copied into one check."""

    def __init__(self, name: str, result: str, local: str, bound: str, arity: int):
        self.name, self.arity = name, arity
        self.result, self.local, self.bound = result + _K, f"{local}{_K}_", f"{bound}{_K}_"
        # function -> (the code it had, its template or why it has none): a memo of a
        # pure computation, checked against the function's code on every read.
        self.templates: weakref.WeakKeyDictionary[
            types.FunctionType, tuple[types.CodeType, _Template | str]
        ] = weakref.WeakKeyDictionary()

    def inline(self, func: Callable[..., Any], k: int, plan: Any) -> Inlined:
        if plan is None:  # a copy folds `plan is None` (_HELD): made for a plan only
            raise NotInlinable("a copy is made for a product's plan, and there is none")
        if not isinstance(func, types.FunctionType):
            raise NotInlinable(f"a {type(func).__name__} is not a Python function")
        kept = self.templates.get(func)
        if kept is None or kept[0] is not func.__code__:
            try:
                kept = (func.__code__, _template(func, self))
            except NotInlinable as exc:
                kept = (func.__code__, str(exc))
            except Exception as exc:  # a source this module cannot read: it is called
                why = f"the source of {func.__qualname__} cannot be copied: {exc!r}"
                kept = (func.__code__, why)
            self.templates[func] = kept
        template = kept[1]
        if isinstance(template, str):
            raise NotInlinable(template)
        key, scope = str(k), func.__globals__
        names: dict[str, Any] = {}
        for bound, ident in template.names.items():
            if ident in scope:
                names[bound.replace(_K, key)] = scope[ident]
            elif hasattr(builtins, ident):
                names[bound.replace(_K, key)] = getattr(builtins, ident)
            else:
                raise NotInlinable(f"{func.__qualname__} reads {ident!r}, which is not defined")
        for attr in template.plan_attributes:
            try:
                names[f"{self.bound}plan_{attr}".replace(_K, key)] = getattr(plan, attr)
            except AttributeError:
                why = f"{func.__qualname__} reads plan.{attr}, which it lacks"
                raise NotInlinable(why) from None
        body = [line.replace(_K, key) for line in template.lines]
        result = self.result.replace(_K, key)
        if self is not _USUAL:
            tail = [line.replace(_K, key) for line in template.tail]
            return Inlined(body, names, result, lists=template.lists, tail=tail)
        # a usual case that raises counts as false
        lines = ["try:", *("    " + line for line in body), "except Exception:"]
        head = [line.replace(_K, key) for line in template.head]
        test = template.test.replace(_K, key) if template.test is not None else None
        return Inlined([*lines, f"    {result} = False"], names, result, head, test=test)


_USUAL = _Kind("usual case", "s", "v", "g", len(ARGS))
_RULE = _Kind("rule", "f", "w", "h", 1)


def _template(func: types.FunctionType, kind: _Kind) -> _Template:
    code = func.__code__
    if func.__closure__ or func.__defaults__ or func.__kwdefaults__:
        raise NotInlinable(f"{func.__qualname__} has a closure or defaults")
    if (
        code.co_argcount != kind.arity
        or code.co_posonlyargcount
        or code.co_kwonlyargcount
        or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
        or code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE)
        or code.co_flags & inspect.CO_ASYNC_GENERATOR
    ):
        what = "five positional parameters" if kind.arity == len(ARGS) else "one parameter"
        raise NotInlinable(f"{func.__qualname__} does not take {what}")
    if func.__qualname__ != func.__name__:
        raise NotInlinable(f"{func.__qualname__} is not a module-level function")
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as exc:
        raise NotInlinable(f"the source of {func.__qualname__} is not at hand") from exc
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:  # a lambda's line, cut out of its expression
        raise NotInlinable(f"the source of {func.__qualname__} is not one function") from exc
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise NotInlinable(f"the source of {func.__qualname__} is not one function")
    fn = tree.body[0]
    if _K in source:
        raise NotInlinable(f"the source of {func.__qualname__} holds {_K!r}")
    ast.increment_lineno(tree, code.co_firstlineno - 1)
    if not _compiles_to(tree, code) and not _compiles_to(_with_imports(func, tree), code):
        raise NotInlinable(f"the source of {func.__qualname__} is not the code it runs")
    # A decorator that returned the function itself is harmless (its code is the one
    # just compiled); one that returned another function was refused just above.
    fn.decorator_list = []
    return _Copier(func, fn, kind).copy()


def _compiles_to(tree: ast.Module, code: types.CodeType) -> bool:
    flags = code.co_flags & _FUTURE_FLAGS
    compiled = compile(tree, code.co_filename, "exec", flags=flags, dont_inherit=True)
    return any(isinstance(c, types.CodeType) and c == code for c in compiled.co_consts)


def _with_imports(func: types.FunctionType, tree: ast.Module) -> ast.Module:
    """*tree* after one ``import`` per name its module imports: CPython 3.11 compiles
    ``name.attr(...)`` differently when *name* is imported (``LOAD_ATTR`` rather than
    ``LOAD_METHOD``), so the function's code is compared with the code it would
    have beside its module's imports."""
    source = "".join(linecache.getlines(func.__code__.co_filename, func.__globals__))
    imported: set[str] = set()
    stack: list[ast.stmt] = list(ast.parse(source).body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                imported.add((alias.asname or alias.name).partition(".")[0])
        elif not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(stmt, field, []))
    imports: list[ast.stmt] = [
        ast.Import(names=[ast.alias(name=name, lineno=1, col_offset=0)], lineno=1, col_offset=0)
        for name in sorted(imported - {"*"})
    ]
    return ast.Module(body=imports + tree.body, type_ignores=[])


class _Copier(ast.NodeTransformer):
    """Rewrites one function's body (see the module's docstring): renames as it
    visits (:meth:`visit_Name`, :meth:`visit_Attribute`), then places the returns."""

    def __init__(self, func: types.FunctionType, fn: ast.FunctionDef, kind: _Kind):
        self.func, self.fn, self.kind = func, fn, kind
        self.result = kind.result
        if kind is _RULE:
            self.ctx: str | None = fn.args.args[0].arg
            self.params: dict[str, str] = {}
        else:
            self.ctx = None
            self.params = {a.arg: ARGS[i] for i, a in enumerate(fn.args.args)}
        self.locals: set[str] = set()
        self.names: dict[str, str] = {}
        self.plan_attributes: set[str] = set()
        self.lists = True  # until an answer that is not a list or tuple display

    def copy(self) -> _Template:
        fn, name = self.fn, self.func.__qualname__
        for node in ast.walk(fn):
            if node is not fn and isinstance(node, _REFUSED):
                raise NotInlinable(f"{name} uses {type(node).__name__}")
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.locals.add(node.id)
        if self.locals & (self.params.keys() | {self.ctx}):
            raise NotInlinable(f"{name} assigns a parameter")
        body = list(fn.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        visited, aliases = _propagate(_split([self.visit(s) for s in body]), self.kind.local)
        held = _HELD if self.kind is _RULE else _HELD & {*ARGS}
        held = held | {alias for alias, name in aliases.items() if name in held}
        stmts = self._block(_unread(_fold(visited, held), aliases))
        text = _unparse(stmts)
        last = stmts[-1]
        straight = None
        if isinstance(last, ast.Assign) and not any(
            isinstance(node, ast.Name) and node.id == self.result
            for stmt in stmts[:-1]
            for node in ast.walk(stmt)
        ):  # straight to its one answer: the answer's expression is its test
            straight = (_unparse(stmts[:-1]), f"({ast.unparse(last.value)})")
        tail = _unparse(_tail(stmts, self.result)) if self.kind is _RULE else None
        return _Template(text, self.names, self.plan_attributes, self.lists, straight, tail)

    # -- names ------------------------------------------------------------------------

    def _is_plan(self, node: ast.expr) -> bool:
        """Whether *node* reads the plan: the usual case's parameter, ``ctx.plan``."""
        if isinstance(node, ast.Name):
            return self.params.get(node.id) == "plan"
        return (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == self.ctx
            and node.attr == "plan"
        )

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value, name = node.value, self.func.__qualname__
        if self._is_plan(value) and isinstance(node.ctx, ast.Load):
            self.plan_attributes.add(node.attr)
            return ast.Name(f"{self.kind.bound}plan_{node.attr}", ast.Load())
        if isinstance(value, ast.Name) and value.id == self.ctx:
            if not isinstance(node.ctx, ast.Load):
                raise NotInlinable(f"{name} sets {value.id}.{node.attr}")
            if node.attr not in CONTEXT:
                raise NotInlinable(f"{name} reads {value.id}.{node.attr}, not a context field")
            held: ast.expr = ast.parse(CONTEXT[node.attr], mode="eval").body
            return held
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        ident = node.id
        if ident == self.ctx:  # not as ctx.<field> (visit_Attribute): passed on
            raise NotInlinable(f"{self.func.__qualname__} uses its context as a whole")
        if ident in self.params:
            return ast.Name(self.params[ident], node.ctx)
        if ident in self.locals:
            return ast.Name(f"{self.kind.local}{ident}", node.ctx)
        if ident not in self.func.__globals__ and not hasattr(builtins, ident):
            raise NotInlinable(f"{self.func.__qualname__} reads {ident!r}, which is not defined")
        bound = f"{self.kind.bound}{ident}"  # its value: read each time a check is built
        self.names[bound] = ident
        return ast.Name(bound, ast.Load())

    # -- control flow -----------------------------------------------------------------

    def _set(self, value: ast.expr | None) -> ast.stmt:
        if not isinstance(value, ast.List | ast.Tuple | ast.ListComp):
            self.lists = False
        elif self.kind is _RULE and isinstance(value, ast.List) and not value.elts:
            # A rule's empty list is only looked at (is it empty?) by the check that
            # copies it: the empty tuple, a constant, is the same answer unbuilt.
            value = ast.Tuple(elts=[], ctx=ast.Load())
        return ast.Assign(
            targets=[ast.Name(self.result, ast.Store())],
            value=value if value is not None else ast.Constant(None),
        )

    def _block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        """*stmts* rewritten so that every path through them ends by setting the
        result (a function that falls off its end returns ``None``)."""
        out: list[ast.stmt] = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1 :]
            if isinstance(stmt, ast.Return):
                out.append(self._set(stmt.value))
                return out  # what follows is never run
            if isinstance(stmt, ast.If) and _returns(stmt):
                body = stmt.body if _always_returns(stmt.body) else stmt.body + rest
                orelse = stmt.orelse if _always_returns(stmt.orelse) else stmt.orelse + rest
                out.append(ast.If(stmt.test, self._block(body), self._block(orelse)))
                return out
            if isinstance(stmt, ast.For) and _returns(stmt):
                if stmt.orelse or _breaks(stmt.body):
                    raise NotInlinable(f"{self.func.__qualname__}: a loop with break or else")
                loop = ast.For(stmt.target, stmt.iter, self._loop(stmt.body), [])
                loop.orelse = self._block(rest)
                out.append(loop)
                return out
            if _returns(stmt):
                raise NotInlinable(f"{self.func.__qualname__}: a return it cannot place")
            out.append(stmt)
        out.append(self._set(None))
        return out

    def _loop(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        """A loop's body, each return made "set the result and break" (the loop's
        ``else`` holds what follows the loop, run only when nothing returned)."""
        out: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ast.Return):
                out += [self._set(stmt.value), ast.Break()]
            elif isinstance(stmt, ast.If) and _returns(stmt):
                orelse = self._loop(stmt.orelse) if stmt.orelse else []
                out.append(ast.If(stmt.test, self._loop(stmt.body), orelse))
            elif _returns(stmt):
                raise NotInlinable(f"{self.func.__qualname__}: a return in a nested loop")
            else:
                out.append(stmt)
        return out or [ast.Pass()]


def _unparse(stmts: list[ast.stmt]) -> list[str]:
    module = ast.Module(body=stmts, type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module)).splitlines() if stmts else []


def _split(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """*stmts* with each ``a, b, c, d = w, x, y, z`` made one assignment per name,
    where no name assigned is read on the right; nested blocks too. (CPython 3.11
    builds and unpacks a tuple of four or more values; of two or three it swaps them
    on the stack. One assignment per name is never slower.)"""
    out: list[ast.stmt] = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, _split(list(block)))
        pairs = _pairs(stmt)
        out += [ast.Assign(targets=[t], value=v) for t, v in pairs] if pairs else [stmt]
    return out


def _pairs(stmt: ast.stmt) -> list[tuple[ast.Name, ast.expr]] | None:
    """The names and values of ``a, b, ... = x, y, ...`` when they can be assigned one
    by one: distinct names, no starred value, and no value reading a name assigned."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return None
    target, value = stmt.targets[0], stmt.value
    if not (isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)):
        return None
    names = [t for t in target.elts if isinstance(t, ast.Name)]
    assigned = {t.id for t in names}
    read = {n.id for v in value.elts for n in ast.walk(v) if isinstance(n, ast.Name)}
    if (
        len(assigned) != len(target.elts)  # a name twice, or a target not a name
        or len(target.elts) != len(value.elts)
        or any(isinstance(v, ast.Starred) for v in value.elts)
        or assigned & read
    ):
        return None
    return list(zip(names, value.elts, strict=True))


def _propagate(stmts: list[ast.stmt], local: str) -> tuple[list[ast.stmt], dict[str, str]]:
    """*stmts* without each ``x = y`` at their top level where ``x`` is a local (its
    name starts with *local*) assigned nowhere else and read only after it, and ``y``
    a constant or one of the generated check's parameters (``client``, ``op``,
    ``today``, ``pool``: never assigned in it): ``x`` is read as ``y``. Also, each
    such local kept because ``y`` is another name that is not a local (a global: a
    local is cheaper to read), with that name: the local always holds what it does."""
    stores = [
        node.id
        for stmt in stmts
        for node in ast.walk(stmt)
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
    ]
    read: set[str] = set()
    same: dict[str, ast.Name | ast.Constant] = {}
    aliases: dict[str, str] = {}
    out: list[ast.stmt] = []
    for stmt in stmts:
        stmt = _Same(same).visit(stmt)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
            if (
                isinstance(target, ast.Name)
                and target.id.startswith(local)
                and stores.count(target.id) == 1
                and target.id not in read
            ):
                if isinstance(value, ast.Constant) or (
                    isinstance(value, ast.Name) and value.id in _PARAMETERS
                ):
                    same[target.id] = value
                    continue
                if isinstance(value, ast.Name) and not value.id.startswith(local):
                    aliases[target.id] = value.id
        read.update(node.id for node in ast.walk(stmt) if isinstance(node, ast.Name))
        out.append(stmt)
    return out, aliases


class _Same(ast.NodeTransformer):
    """Each read of a name in *same* made a read of what it holds (_propagate)."""

    def __init__(self, same: dict[str, ast.Name | ast.Constant]):
        self.same = same

    def visit_Name(self, node: ast.Name) -> ast.expr:
        held = self.same.get(node.id)
        if held is None or not isinstance(node.ctx, ast.Load):
            return node
        return ast.copy_location(
            ast.Name(held.id, ast.Load())
            if isinstance(held, ast.Name)
            else ast.Constant(held.value),
            node,
        )


def _fold(stmts: list[ast.stmt], held: set[str]) -> list[ast.stmt]:
    """*stmts* with each ``name is None`` (``is not``) of a *held* name, or of the
    constant ``None``, and each ``==`` (``!=``) of two plain constants, made the
    constant it always is; an ``if`` of a constant made the branch it takes; and in
    ``a and b and ...`` (``or``) each constant that decides nothing dropped (CPython
    folds a constant test, not a constant operand)."""
    folder = _Fold(held)
    out: list[ast.stmt] = []
    for stmt in stmts:
        done = folder.visit(stmt)
        out += done if isinstance(done, list) else [done]
    for node in ast.walk(ast.Module(body=out, type_ignores=[])):
        if isinstance(node, ast.If | ast.For) and not node.body:
            node.body = [ast.Pass()]  # a branch that was an if of a constant, not taken
    return out


_PLAIN = (str, int, bool, type(None))
"""The constants whose ``==`` the copier works out (none has an ``__eq__`` of its own)."""


class _Fold(ast.NodeTransformer):
    """The rewrites of :func:`_fold`, inner expressions first."""

    def __init__(self, held: set[str]):
        self.held = held

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        left, ops, right = node.left, node.ops, node.comparators
        if (
            len(ops) == 1
            and isinstance(ops[0], ast.Is | ast.IsNot)
            and isinstance(right[0], ast.Constant)
            and right[0].value is None
        ):
            if isinstance(left, ast.Constant) and left.value is None:
                is_none = True
            elif isinstance(left, ast.Name) and left.id in self.held:
                is_none = False
            else:
                return node
            return ast.copy_location(ast.Constant(is_none is isinstance(ops[0], ast.Is)), node)
        if (
            len(ops) == 1
            and isinstance(ops[0], ast.Eq | ast.NotEq)
            and isinstance(left, ast.Constant)
            and isinstance(right[0], ast.Constant)
            and type(left.value) in _PLAIN
            and type(right[0].value) in _PLAIN
        ):  # ctx.operation == "assign", the field copied as its constant
            equal = left.value == right[0].value
            return ast.copy_location(ast.Constant(equal is isinstance(ops[0], ast.Eq)), node)
        return node

    def visit_If(self, node: ast.If) -> ast.stmt | list[ast.stmt]:
        self.generic_visit(node)
        if not isinstance(node.test, ast.Constant):
            return node
        return node.body if node.test.value else node.orelse

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        # True in an and (False in an or) passes on to the next operand: dropped,
        # unless last (it is then the answer).
        passes = isinstance(node.op, ast.And)
        values = [
            v
            for i, v in enumerate(node.values)
            if not (i < len(node.values) - 1 and isinstance(v, ast.Constant) and v.value is passes)
        ]
        if len(values) == 1:
            return values[0]
        return ast.copy_location(ast.BoolOp(node.op, values), node)


def _unread(stmts: list[ast.stmt], aliases: dict[str, str]) -> list[ast.stmt]:
    """*stmts* without the assignment of each of the *aliases* (_propagate) that
    nothing reads any more (its every test for None made a constant by _fold)."""
    read = {
        node.id
        for stmt in stmts
        for node in ast.walk(stmt)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return [
        stmt
        for stmt in stmts
        if not (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id in aliases.keys() - read
        )
    ]


def _tail(stmts: list[ast.stmt], result: str) -> list[ast.stmt]:
    """*stmts* (a rule's, its answers placed) with each empty answer ``result = ()``
    made ``return none`` (:data:`NONE`), and the loop's ``break`` after it dropped."""
    out: list[ast.stmt] = []
    for stmt in stmts:
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == result
            and isinstance(stmt.value, ast.Tuple | ast.List)
            and not stmt.value.elts
        ):
            out.append(ast.Return(ast.Name(NONE, ast.Load())))
            return out  # what follows (a loop's break) is never run
        if isinstance(stmt, ast.If):
            stmt = ast.If(stmt.test, _tail(stmt.body, result), _tail(stmt.orelse, result))
        elif isinstance(stmt, ast.For):
            body, orelse = _tail(stmt.body, result), _tail(stmt.orelse, result)
            stmt = ast.For(stmt.target, stmt.iter, body, orelse)
        out.append(stmt)
    return out


def _returns(stmt: ast.AST) -> bool:
    return any(isinstance(node, ast.Return) for node in ast.walk(stmt))


def _always_returns(stmts: list[ast.stmt]) -> bool:
    """Whether every path through *stmts* ends in a ``return``."""
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            return True
        if isinstance(stmt, ast.If) and _always_returns(stmt.body) and _always_returns(stmt.orelse):
            return True
    return False


def _breaks(stmts: list[ast.stmt]) -> bool:
    """Whether *stmts* (a loop's body) break out of that loop (not of a nested one)."""
    for stmt in stmts:
        if isinstance(stmt, ast.Break):
            return True
        if isinstance(stmt, ast.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False
